using Google.Rpc;
using Grpc.Core;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Hosting.Tests;

public sealed class PluginErrorsTests
{
    public static TheoryData<PluginErrorCode> AllCodes => [.. Enum.GetValues<PluginErrorCode>()];

    [Theory]
    [MemberData(nameof(AllCodes))]
    public void ToRpcException_ThenBack_KeepsEveryField(PluginErrorCode code)
    {
        var original = new PluginException(code, "what happened and how to fix it", new IOException("disk said no"))
        {
            Metadata = new Dictionary<string, string> { ["id"] = "abc" },
            ErrorSource = PluginErrorSource.Downstream,
            Retryable = true,
        };

        var back = PluginErrors.FromRpcException(PluginErrors.ToRpcException(original), "fs");

        Assert.Equal(code, back.Code);
        Assert.Equal("what happened and how to fix it", back.Message);
        Assert.Equal("disk said no", back.Cause);
        Assert.Equal("abc", back.Metadata["id"]);
        Assert.Equal(PluginErrorSource.Downstream, back.ErrorSource);
        Assert.True(back.Retryable);
        Assert.Equal("fs", back.PluginName);
    }

    [Theory]
    [MemberData(nameof(AllCodes))]
    public void ToStatusCode_ThenFromStatusCode_IsTheSameCode(PluginErrorCode code) =>
        Assert.Equal(code, PluginErrors.FromStatusCode(PluginErrors.ToStatusCode(code)));

    [Fact]
    public void PluginErrorCode_EveryWireValue_HasAMatchingName()
    {
        var wire = Enum.GetValues<ErrorCode>().Where(c => c != ErrorCode.Unspecified).ToList();

        Assert.Equal(wire.Count, Enum.GetValues<PluginErrorCode>().Length);
        Assert.All(wire, c => Assert.Equal(c.ToString(), ((PluginErrorCode)c).ToString()));
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, PluginErrorCode.Unavailable, "Could not reach plugin 'fs'")]
    [InlineData(StatusCode.DeadlineExceeded, PluginErrorCode.Timeout, "did not finish before its deadline")]
    [InlineData(StatusCode.Unimplemented, PluginErrorCode.NotSupported, "bad method")]
    public void FromRpcException_BareStatus_DerivesCodeAndMessage(StatusCode status, PluginErrorCode expected, string message)
    {
        var error = PluginErrors.FromRpcException(new RpcException(new Grpc.Core.Status(status, "bad method")), "fs");

        Assert.Equal(expected, error.Code);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void FromRpcException_UnknownCodeInDetail_IsInternal()
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)StatusCode.Unknown,
            Message = "odd",
            Details = { Google.Protobuf.WellKnownTypes.Any.Pack(new PluginError { Code = (ErrorCode)999, Message = "from the future" }) },
        };

        var error = PluginErrors.FromRpcException(status.ToRpcException());

        Assert.Equal(PluginErrorCode.Internal, error.Code);
        Assert.Equal("from the future", error.Message);
    }
}
