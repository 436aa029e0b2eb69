namespace Reel.Engine.Pipeline;

/// <summary>What a shard worker records about itself in the work folder (<c>shard-I-of-N.json</c>), for people and for the join; its shots by number (from 1).</summary>
public sealed record ShardRecord(string Shard, string Host, int Pid, DateTime Started, DateTime? Finished, IReadOnlyList<int> Shots);
