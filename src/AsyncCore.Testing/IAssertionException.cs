namespace AsyncCore.Testing;

/// <summary>
/// xunit (v2 and v3) reports an exception as an assertion failure, rather than as an error thrown by the test, when it
/// implements an interface with this name, in any namespace. Declaring it here keeps the assertions independent of
/// xunit's assertion library.
/// </summary>
internal interface IAssertionException
{
}
