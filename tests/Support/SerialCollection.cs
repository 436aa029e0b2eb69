namespace Reel.Tests.Support;

/// <summary>Tests that measure the whole process (its live heap, its open pipes) or change it (its environment) run in this collection, after and apart from every other test.</summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;
