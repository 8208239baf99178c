using Brummer.Clustering;

namespace Brummer.Cli.Tests;

/// <summary>The one <c>--cluster</c> string every role takes, as users write it.</summary>
public sealed class ClusterConnectionTests
{
    [Theory]
    [InlineData("redis://127.0.0.1:6390", ClusterProvider.Redis, "127.0.0.1:6390", "redis://127.0.0.1:6390")]
    [InlineData("redis://cache", ClusterProvider.Redis, "cache:6379", "redis://cache")]
    [InlineData("redis://:s3cret@cache:6380/2", ClusterProvider.Redis, "cache:6380,password=s3cret,defaultDatabase=2", "redis://:***@cache:6380/2")]
    [InlineData("postgres://bob:s3cret@db:5433/brummer", ClusterProvider.Postgres, "Host=db;Port=5433;Database=brummer;Username=bob;Password=s3cret", "postgres://bob:***@db:5433/brummer")]
    [InlineData("postgresql://bob@db/brummer", ClusterProvider.Postgres, "Host=db;Port=5432;Database=brummer;Username=bob", "postgresql://bob@db/brummer")]
    [InlineData("Host=db;Username=bob;Password=s3cret;Database=brummer", ClusterProvider.Postgres, "Host=db;Username=bob;Password=s3cret;Database=brummer", "postgres://db:5432/brummer")]
    [InlineData("dev://127.0.0.1:11111", ClusterProvider.Development, "127.0.0.1:11111", "dev://127.0.0.1:11111?gateway=30000")]
    [InlineData("dev://127.0.0.1:2000?gateway=2001", ClusterProvider.Development, "127.0.0.1:2000", "dev://127.0.0.1:2000?gateway=2001")]
    public void Parse_EachAcceptedForm_GivesTheProviderTargetAndAPasswordFreeDisplay(string value, ClusterProvider provider, string target, string display)
    {
        var connection = ClusterConnection.Parse(value);

        Assert.Equal(provider, connection.Provider);
        Assert.Equal(target, connection.Target);
        Assert.Equal(display, connection.ToString());
        Assert.DoesNotContain("s3cret", connection.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Dev_NamesThePrimarySiloAndItsClientGateway()
    {
        var connection = ClusterConnection.Parse("dev://127.0.0.1:2000?gateway=2001");

        Assert.Equal("127.0.0.1:2000", connection.PrimarySilo!.ToString());
        Assert.Equal("127.0.0.1:2001", connection.PrimaryGateway!.ToString());
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("localhost:6379", "neither a URL nor an ADO.NET connection string")]
    [InlineData("http://h:1", "the scheme 'http' is not supported")]
    [InlineData("Username=bob;Password=s3cret", "names no Host")]
    [InlineData("dev://127.0.0.1:1?primary=yes", "'primary=yes' is not understood")]
    public void Parse_Unusable_SaysWhyAndWhatIsAccepted_WithoutEchoingSecrets(string value, string why)
    {
        var error = Assert.Throws<FormatException>(() => ClusterConnection.Parse(value));

        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Contains("redis://host:port", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }
}
