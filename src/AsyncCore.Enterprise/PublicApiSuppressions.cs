using System.Diagnostics.CodeAnalysis;

// Deliberate exceptions to the public API fence's design rules (see docs/architecture.md, "Public API").

// ConnectionPool takes its connections from a provider factory, a data source or a delegate, each with optional
// options. The overloads differ in their required parameters' types, so the optional one never makes a call
// ambiguous; RS0026 guards against that.
[assembly: SuppressMessage("ApiDesign", "RS0026", Scope = "member",
    Target = "~M:AsyncCore.Enterprise.ConnectionPool.#ctor(System.Data.Common.DbProviderFactory,System.String,AsyncCore.Reactor.IReactor,AsyncCore.Enterprise.ConnectionPoolOptions)",
    Justification = "Overloads differ in required parameter types: no ambiguity.")]
[assembly: SuppressMessage("ApiDesign", "RS0026", Scope = "member",
    Target = "~M:AsyncCore.Enterprise.ConnectionPool.#ctor(System.Data.Common.DbDataSource,AsyncCore.Reactor.IReactor,AsyncCore.Enterprise.ConnectionPoolOptions)",
    Justification = "Overloads differ in required parameter types: no ambiguity.")]
[assembly: SuppressMessage("ApiDesign", "RS0026", Scope = "member",
    Target = "~M:AsyncCore.Enterprise.ConnectionPool.#ctor(System.Func{System.Data.Common.DbConnection},AsyncCore.Reactor.IReactor,AsyncCore.Enterprise.ConnectionPoolOptions)",
    Justification = "Overloads differ in required parameter types: no ambiguity.")]
