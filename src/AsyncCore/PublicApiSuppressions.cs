using System.Diagnostics.CodeAnalysis;

// Deliberate exceptions to the public API fence's design rules (see docs/architecture.md, "Public API").

// Deferred<T> is meant to be subclassed (Twisted's Deferred is; DeferredList, InlineCallbacks and the async builder's
// Deferred are), while the non-generic Deferred is not: its constructors are private protected so that every chain is
// a Deferred<T>. RS0022 warns that this exposes Deferred's protected members; it has none (only private protected).
[assembly: SuppressMessage("ApiDesign", "RS0022", Scope = "member", Target = "~M:AsyncCore.Deferred`1.#ctor",
    Justification = "Deferred<T> is the inheritable Deferred; the base has no protected members.")]
[assembly: SuppressMessage("ApiDesign", "RS0022", Scope = "member",
    Target = "~M:AsyncCore.Deferred`1.#ctor(System.Action{AsyncCore.Deferred{`0}})",
    Justification = "Deferred<T> is the inheritable Deferred; the base has no protected members.")]

// Cooperator mirrors Twisted's Cooperator(terminationPredicateFactory, scheduler, started) next to the usual
// clock-and-time-slice form. The two overloads differ in their required parameters' types, so the optional ones never
// make a call ambiguous; RS0026 guards against that.
[assembly: SuppressMessage("ApiDesign", "RS0026", Scope = "member",
    Target = "~M:AsyncCore.Tasks.Cooperator.#ctor(AsyncCore.IReactorTime,System.Nullable{System.TimeSpan},System.Boolean)",
    Justification = "Overloads differ in required parameter types: no ambiguity.")]
[assembly: SuppressMessage("ApiDesign", "RS0026", Scope = "member",
    Target = "~M:AsyncCore.Tasks.Cooperator.#ctor(System.Func{System.Func{System.Boolean}},System.Func{System.Action,AsyncCore.IDelayedCall},System.Boolean)",
    Justification = "Overloads differ in required parameter types: no ambiguity.")]
