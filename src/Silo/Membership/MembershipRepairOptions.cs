namespace Brummer.Silo.Membership;

/// <summary>How a node watches the membership store (configuration section <c>Brummer:Membership</c>).</summary>
public sealed class MembershipRepairOptions
{
    /// <summary>
    /// How often the node reads the membership table to check that it and its peers are still in it (also after every
    /// membership change). Bounds how long a store that lost its data goes unrepaired.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);
}
