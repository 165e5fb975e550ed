// Seed 002: an ORM used from the reactor. EF Core's DbContext is blocking and not thread-safe, so each unit of work
// runs on the reactor's thread pool through DeferToThread, with its own context, and the result comes back as a Deferred
// on the reactor thread.
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Tasks;
using Microsoft.EntityFrameworkCore;

var path = Path.Combine(Path.GetTempPath(), $"orm-{Guid.NewGuid():N}.db");
try
{
    return ReactorMain.React(async reactor =>
    {
        var options = new DbContextOptionsBuilder<ShopContext>().UseSqlite($"Data Source={path}").Options;

        await reactor.DeferToThread(() =>
        {
            using var db = new ShopContext(options);
            db.Database.EnsureCreated();
            db.Products.AddRange(new Product { Name = "kettle", Price = 25m }, new Product { Name = "teapot", Price = 18m });
            return db.SaveChanges();
        });

        var cheap = await reactor.DeferToThread(() =>
        {
            using var db = new ShopContext(options);
            return db.Products.Where(p => p.Price < 20m).OrderBy(p => p.Name).Select(p => p.Name).ToList();
        });
        Console.WriteLine($"on the reactor thread ({reactor.IsReactorThread}): cheap products: {string.Join(", ", cheap)}");
        return 0;
    });
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    File.Delete(path);
}

internal sealed class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options)
{
    public DbSet<Product> Products => Set<Product>();
}

internal sealed class Product
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public decimal Price { get; set; }
}
