using Brummer.Gateway.Status;
using Brummer.Gateway.Waiting;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Tests;

/// <summary>What each wait condition makes of each state a process can be in: met, not yet, or never without another request.</summary>
public sealed class WaitConditionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static ProcessInfo Process(ProcessStatus status, ProcessHealth health = ProcessHealth.None, int? exitCode = null, string? waitingFor = null, DateTimeOffset? nextRestartAt = null) =>
        new("a", "api", status, status.IsActive() ? 42 : null, T0, status.IsActive() ? null : T0.AddSeconds(5), exitCode, 0, "last", null, 7,
            Health: health, WaitingFor: waitingFor, NextRestartAt: nextRestartAt);

    public static TheoryData<WaitCondition, ProcessStatus, ProcessHealth, WaitOutcome> Cases() => new()
    {
        // ready = running with no probe (health none) or a passed one; a probe not passed yet, or failing, is not yet.
        { WaitCondition.Ready, ProcessStatus.Running, ProcessHealth.None, WaitOutcome.Met },
        { WaitCondition.Ready, ProcessStatus.Running, ProcessHealth.Ready, WaitOutcome.Met },
        { WaitCondition.Ready, ProcessStatus.Running, ProcessHealth.Starting, WaitOutcome.Waiting },
        { WaitCondition.Ready, ProcessStatus.Running, ProcessHealth.Unhealthy, WaitOutcome.Waiting },
        { WaitCondition.Running, ProcessStatus.Running, ProcessHealth.Starting, WaitOutcome.Met },
        { WaitCondition.Running, ProcessStatus.Running, ProcessHealth.Unhealthy, WaitOutcome.Met },

        // On the way: pending (dependencies), starting, restarting (backoff) are never final.
        { WaitCondition.Ready, ProcessStatus.Pending, ProcessHealth.None, WaitOutcome.Waiting },
        { WaitCondition.Ready, ProcessStatus.Starting, ProcessHealth.None, WaitOutcome.Waiting },
        { WaitCondition.Ready, ProcessStatus.Restarting, ProcessHealth.None, WaitOutcome.Waiting },
        { WaitCondition.Running, ProcessStatus.Restarting, ProcessHealth.None, WaitOutcome.Waiting },
        { WaitCondition.Exited, ProcessStatus.Restarting, ProcessHealth.None, WaitOutcome.Waiting },
        { WaitCondition.Failed, ProcessStatus.Restarting, ProcessHealth.None, WaitOutcome.Waiting },
        { WaitCondition.Exited, ProcessStatus.Pending, ProcessHealth.None, WaitOutcome.Waiting },

        // Stopped on request: exited, and not final for anything else (a restart or reload stops on its way to running again).
        { WaitCondition.Exited, ProcessStatus.Stopped, ProcessHealth.None, WaitOutcome.Met },
        { WaitCondition.Ready, ProcessStatus.Stopped, ProcessHealth.None, WaitOutcome.Waiting },
        { WaitCondition.Succeeded, ProcessStatus.Stopped, ProcessHealth.None, WaitOutcome.Waiting },
        { WaitCondition.Exited, ProcessStatus.Stopping, ProcessHealth.None, WaitOutcome.Waiting },

        // Ends it cannot leave by itself.
        { WaitCondition.Exited, ProcessStatus.Succeeded, ProcessHealth.None, WaitOutcome.Met },
        { WaitCondition.Succeeded, ProcessStatus.Succeeded, ProcessHealth.None, WaitOutcome.Met },
        { WaitCondition.Failed, ProcessStatus.Succeeded, ProcessHealth.None, WaitOutcome.Impossible },
        { WaitCondition.Ready, ProcessStatus.Succeeded, ProcessHealth.None, WaitOutcome.Impossible },
        { WaitCondition.Exited, ProcessStatus.Failed, ProcessHealth.None, WaitOutcome.Met },
        { WaitCondition.Failed, ProcessStatus.Failed, ProcessHealth.None, WaitOutcome.Met },
        { WaitCondition.Ready, ProcessStatus.Failed, ProcessHealth.None, WaitOutcome.Impossible },
        { WaitCondition.Running, ProcessStatus.Failed, ProcessHealth.None, WaitOutcome.Impossible },
        { WaitCondition.Succeeded, ProcessStatus.Failed, ProcessHealth.None, WaitOutcome.Impossible },

        // Running is not an end.
        { WaitCondition.Exited, ProcessStatus.Running, ProcessHealth.None, WaitOutcome.Waiting },
        { WaitCondition.Failed, ProcessStatus.Running, ProcessHealth.Unhealthy, WaitOutcome.Waiting },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Judge_EachStateOfAProcessOnAnUpNode_IsMetWaitingOrImpossible(WaitCondition condition, ProcessStatus status, ProcessHealth health, WaitOutcome expected)
    {
        var outcome = condition.Judge(Process(status, health), NodeState.Up);

        Assert.Equal(expected, outcome);
    }

    [Theory]
    [InlineData(WaitCondition.Running)]
    [InlineData(WaitCondition.Ready)]
    [InlineData(WaitCondition.Exited)]
    [InlineData(WaitCondition.Succeeded)]
    [InlineData(WaitCondition.Failed)]
    public void Judge_ProcessThatNeverRan_IsWaitedFor_NotExited(WaitCondition condition)
    {
        Assert.Equal(WaitOutcome.Waiting, condition.Judge(process: null, NodeState.Up));
        Assert.Equal(WaitOutcome.Waiting, condition.Judge(process: null, NodeState.Unresponsive));
    }

    [Fact]
    public void Judge_FailedWithARestartDue_IsNotFinal()
    {
        var failed = Process(ProcessStatus.Failed, exitCode: 1, nextRestartAt: T0.AddSeconds(2));

        Assert.Equal(WaitOutcome.Waiting, WaitCondition.Ready.Judge(failed, NodeState.Up));
        Assert.Equal(WaitOutcome.Met, WaitCondition.Failed.Judge(failed, NodeState.Up));
    }

    [Fact]
    public void Judge_NodeLostOrLeft_IsImpossibleUnlessAlreadyMet()
    {
        var lost = Process(ProcessStatus.Lost);
        var stopped = Process(ProcessStatus.Stopped, exitCode: 143);

        Assert.Equal(WaitOutcome.Impossible, WaitCondition.Ready.Judge(lost, NodeState.Lost));
        Assert.Equal(WaitOutcome.Impossible, WaitCondition.Exited.Judge(lost, NodeState.Lost));
        Assert.Equal(WaitOutcome.Impossible, WaitCondition.Ready.Judge(null, NodeState.Lost));
        Assert.Equal(WaitOutcome.Impossible, WaitCondition.Ready.Judge(stopped, NodeState.Left));
        Assert.Equal(WaitOutcome.Met, WaitCondition.Exited.Judge(stopped, NodeState.Left));
    }

    [Fact]
    public void Judge_PendingWithWhatItWaitsFor_IsWaiting_AndAnUnresponsiveNodeIsNoReasonToGiveUp()
    {
        var pending = Process(ProcessStatus.Pending, waitingFor: "b/db (process_healthy)");
        var starting = Process(ProcessStatus.Running, ProcessHealth.Starting);

        Assert.Equal(WaitOutcome.Waiting, WaitCondition.Ready.Judge(pending, NodeState.Unresponsive));
        Assert.Equal(WaitOutcome.Waiting, WaitCondition.Ready.Judge(starting, NodeState.Unresponsive));
    }

    [Theory]
    [InlineData("running", WaitCondition.Running)]
    [InlineData("ready", WaitCondition.Ready)]
    [InlineData("exited", WaitCondition.Exited)]
    [InlineData("succeeded", WaitCondition.Succeeded)]
    [InlineData("failed", WaitCondition.Failed)]
    public void Parse_WireNames_RoundTrip(string name, WaitCondition condition)
    {
        Assert.Equal(condition, WaitConditions.Parse(name, "condition"));
        Assert.Equal(name, condition.ToWireName());
    }

    [Fact]
    public void Parse_UnknownOrForRunAnEnd_IsAClearError()
    {
        var unknown = Assert.Throws<GatewayException>(() => WaitConditions.Parse("healthy", "condition"));
        var end = Assert.Throws<GatewayException>(() => WaitConditions.ParseForRun("exited", "wait"));

        Assert.Equal("'condition' must be running, ready, exited, succeeded or failed; got 'healthy'.", unknown.Message);
        Assert.StartsWith("'wait' must be ready or running", end.Message, StringComparison.Ordinal);
        Assert.Null(WaitConditions.Parse(null, "condition"));
        Assert.Null(WaitConditions.ParseForRun("", "wait"));
    }
}
