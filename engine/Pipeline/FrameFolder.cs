using System.Globalization;
using System.Text.RegularExpressions;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>A folder of frames (PNG/JPEG/DPX/…), taken in the order their numbers give (<see cref="FolderSink"/> writes one).</summary>
public static class FrameFolder
{
    /// <param name="what">How the folder is named in errors ("frame folder", "dataset folder").</param>
    public static IReadOnlyList<string> List(string folder, string what = "frame folder")
    {
        if (File.Exists(folder)) throw new ReelException($"{folder} is a file, not a {what}");
        if (!Directory.Exists(folder)) throw new ReelException($"{what} not found: {folder}");
        var files = Directory.EnumerateFiles(folder).Where(ImageIO.IsImagePath).Order(Comparer<string>.Create(CompareNames)).ToList();
        if (files.Count == 0) throw new ReelException($"no images ({ImageIO.Kinds}) in {folder}");
        return files;
    }

    private static readonly Regex Numbered = new(@"^(.*?)([0-9]{1,18})([^0-9]*)$", RegexOptions.Compiled);

    /// <summary>
    /// Where the numbers of a folder's frames (<see cref="List"/>'s order) skip, as one line, or null when they
    /// run on or the names are not one numbered sequence (one stem and extension, a number between). A
    /// scan with a frame missing is restored as if it were not: the motion jumps there, and the prior
    /// learns across the jump.
    /// </summary>
    public static string? Gaps(IReadOnlyList<string> files, string folder)
    {
        if (Numbers(files) is not { } numbers) return null;
        var gaps = Enumerable.Range(1, numbers.Count - 1).Where(i => numbers[i] - numbers[i - 1] > 1).ToList();
        if (gaps.Count == 0) return null;
        long missing = gaps.Sum(i => numbers[i] - numbers[i - 1] - 1);
        int first = gaps[0];
        string more = gaps.Count switch { 1 => "", 2 => ", one more gap after it", _ => string.Create(CultureInfo.InvariantCulture, $", {gaps.Count - 1} more gaps after it") };
        return string.Create(CultureInfo.InvariantCulture,
            $"{folder}: {missing} frame{(missing == 1 ? "" : "s")} missing from the numbering, first between {Path.GetFileName(files[first - 1])} and {Path.GetFileName(files[first])}{more}; the frames around each gap are restored as neighbours");
    }

    /// <summary>
    /// Where two of a folder's frames (<see cref="List"/>'s order) have one number (f1.png and f01.png), as one line, or
    /// null: both were taken, one after the other, without a word (a frame scanned twice, or two numberings mixed).
    /// </summary>
    public static string? Repeats(IReadOnlyList<string> files, string folder)
    {
        if (Numbers(files) is not { } numbers) return null;
        var repeats = Enumerable.Range(1, numbers.Count - 1).Where(i => numbers[i] == numbers[i - 1]).ToList();
        if (repeats.Count == 0) return null;
        int first = repeats[0];
        string more = repeats.Count == 1 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({repeats.Count} such pairs)");
        return string.Create(CultureInfo.InvariantCulture,
            $"{folder}: {Path.GetFileName(files[first - 1])} and {Path.GetFileName(files[first])} have one number, {numbers[first]}{more}; both are restored, one after the other");
    }

    /// <summary>The frame numbers of a numbered sequence's files (one stem and extension, a number between), or null where they are not one.</summary>
    private static List<long>? Numbers(IReadOnlyList<string> files)
    {
        var names = files.Select(f => Numbered.Match(Path.GetFileName(f))).ToList();
        if (names.Count < 2 || names.Any(m => !m.Success)
            || names.Any(m => m.Groups[1].Value != names[0].Groups[1].Value || !m.Groups[3].Value.Equals(names[0].Groups[3].Value, StringComparison.OrdinalIgnoreCase)))
            return null;
        return names.Select(m => long.Parse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>
    /// Orders names as frames are numbered: runs of digits by their value, the rest character by
    /// character. Not every tool pads its numbers (f1 … f9, f10): in plain character order f10 came
    /// before f2 and the film was restored, and encoded, shuffled. Names equal in value ("f01", "f1")
    /// fall back to character order, so the order is total.
    /// </summary>
    internal static int CompareNames(string? x, string? y)
    {
        if (x is null || y is null) return x is null ? (y is null ? 0 : -1) : 1;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int si = i, sj = j;
                while (i < x.Length && char.IsAsciiDigit(x[i])) i++;
                while (j < y.Length && char.IsAsciiDigit(y[j])) j++;
                // By value without parsing, so a run of any length compares: drop leading zeros, then the longer is larger.
                var a = x.AsSpan(si, i - si).TrimStart('0');
                var b = y.AsSpan(sj, j - sj).TrimStart('0');
                if (a.Length != b.Length) return a.Length < b.Length ? -1 : 1;
                int digits = a.SequenceCompareTo(b);
                if (digits != 0) return digits;
            }
            else
            {
                if (x[i] != y[j]) return x[i] < y[j] ? -1 : 1;
                i++;
                j++;
            }
        }
        if (i < x.Length != j < y.Length) return i < x.Length ? 1 : -1;
        return string.CompareOrdinal(x, y);
    }
}
