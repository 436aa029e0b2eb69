namespace Reel.Tests.Support;

/// <summary>Tests that measure the whole process (its live heap) run in this collection, after and apart from every other test.</summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;
