namespace AsyncCore.Reactor;

/// <summary>
/// A whole reactor: the loop and its system events (<see cref="IReactorCore"/>), timers (<see cref="IReactorTime"/>) and
/// threads (<see cref="IReactorThreads"/>). Code that needs more than one capability takes this type instead of checking
/// at run time that an <see cref="IReactorCore"/> also implements the others.
/// </summary>
public interface IReactor : IReactorCore, IReactorTime, IReactorThreads
{
}
