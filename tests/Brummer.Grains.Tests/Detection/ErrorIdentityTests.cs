using System.Text.RegularExpressions;
using Brummer.Grains.Logs.Detection;

namespace Brummer.Grains.Tests.Detection;

public sealed class ErrorIdentityTests
{
    private static readonly LogDetector Go = DetectorTable.Default.Detectors.Single(d => d.Id == "go-panic");
    private static readonly LogDetector Tsc = DetectorTable.Default.Detectors.Single(d => d.Id == "tsc");

    [Fact]
    public void Of_SamePanicAtAnotherTimeFromAnotherClientPort_SameIdentity()
    {
        var titles = Fixtures.Lines("go-http-panic-repeat.txt").Where(l => l.Contains("http: panic serving", StringComparison.Ordinal)).ToList();

        Assert.Equal(2, titles.Count);
        Assert.NotEqual(titles[0], titles[1]);
        Assert.Equal(ErrorIdentity.Of(Go, titles[0]), ErrorIdentity.Of(Go, titles[1]));
        Assert.Matches(new Regex(@"^go-panic\n<time> http: panic serving 127\.0\.0\.1:#: runtime error"), ErrorIdentity.Of(Go, titles[0]));
    }

    [Fact]
    public void Of_SameMessageAtAnotherPosition_OtherIdentity()
    {
        var lines = Fixtures.Lines("tsc-plain.txt");

        Assert.NotEqual(ErrorIdentity.Of(Tsc, lines[4]), ErrorIdentity.Of(Tsc, lines[5]));
        Assert.NotEqual(ErrorIdentity.Of(Go, lines[4]), ErrorIdentity.Of(Tsc, lines[4]));
    }
}
