using GrpcPlugins.Hosting.Internal;

namespace GrpcPlugins.Hosting.Tests;

/// <summary>The wait-and-retry budget of an idempotent call, whose timer is made only when the call must wait.</summary>
public sealed class CallBudgetTests
{
    [Fact]
    public void Token_BudgetLeft_IsNotCancelledUntilSpent()
    {
        using var budget = new CallBudget(TimeSpan.FromHours(1), CancellationToken.None);

        Assert.False(budget.IsSpent);
        Assert.False(budget.Token.IsCancellationRequested);
        Assert.True(budget.Token.CanBeCanceled);
    }

    [Fact]
    public void Token_BudgetAlreadyUsedUp_IsCancelledAtOnce()
    {
        using var budget = new CallBudget(TimeSpan.Zero, CancellationToken.None);

        Assert.True(budget.IsSpent);
        Assert.True(budget.Token.IsCancellationRequested);
    }

    [Fact]
    public void IsSpent_CallerGaveUp_IsTrueAndTokenCancelled()
    {
        using var caller = new CancellationTokenSource();
        using var budget = new CallBudget(TimeSpan.FromHours(1), caller.Token);
        var token = budget.Token;

        caller.Cancel();

        Assert.True(budget.IsSpent);
        Assert.True(token.IsCancellationRequested);
    }
}
