using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GrpcPlugins.Packaging.Internal;

namespace GrpcPlugins.Packaging.Tests;

/// <summary>
/// The canonical form package signatures cover: RFC 8785 (JCS), checked with the RFC's own examples (its number
/// table of Appendix B, with the outputs of ECMAScript's Number.prototype.toString, and the examples of sections
/// 3.2.2 and 3.2.3); and signatures of the first format (no <c>signature.canonicalization</c>) still verify.
/// </summary>
public sealed class Rfc8785Tests
{
    [Theory]
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void Number_RfcAppendixB_WrittenAsEcmaScriptDoes(string ieee754, string expected)
    {
        var value = BitConverter.Int64BitsToDouble(long.Parse(ieee754, NumberStyles.HexNumber, CultureInfo.InvariantCulture));

        Assert.Equal(expected, Rfc8785.Number(value));
    }

    [Fact]
    public void Write_RfcSection322Example_ExactBytes()
    {
        var input = JsonNode.Parse("""
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """)!;

        var written = Encoding.UTF8.GetString(Rfc8785.Write(input));

        Assert.Equal("""{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}""", written);
    }

    [Fact]
    public void Write_RfcSection323Example_MembersSortedByUtf16CodeUnits()
    {
        var input = JsonNode.Parse("""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """)!;

        var values = JsonNode.Parse(Rfc8785.Write(input))!.AsObject().Select(p => p.Value!.GetValue<string>());
        var written = Encoding.UTF8.GetString(Rfc8785.Write(input));

        Assert.Equal(["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"], values);
        Assert.StartsWith("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\"", written, StringComparison.Ordinal);
        Assert.Contains("\"😀\":\"Emoji: Grinning Face\"", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_WritesRfc8785AndVerifies()
    {
        var (privateKey, publicKey) = PackageSigner.CreateKey();
        var json = TestPackages.Manifest();
        json["files"] = new JsonObject { ["Sample.dll"] = new string('a', 64) };
        var manifest = PluginManifest.FromJson(json);

        var signed = PackageSigner.Sign(manifest, privateKey);

        Assert.Equal(PackageSigner.Canonicalization, signed.Signature!.Canonicalization);
        Assert.Equal("rfc8785", signed.Json["signature"]!["canonicalization"]!.GetValue<string>());
        Assert.True(PackageSigner.IsValid(signed, publicKey));
    }

    [Fact]
    public void IsValid_FirstFormatSignature_StillVerifies_AndNotAsRfc8785WhereTheFormsDiffer()
    {
        // A manifest whose two forms differ (a decimal written as 1.50, a character beyond U+FFFF), signed as before
        // RFC 8785: over the first format's bytes, with no canonicalization field.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var json = TestPackages.Manifest();
        json["files"] = new JsonObject { ["Sample.dll"] = new string('a', 64) };
        json["description"] = "Ships 😀 files";
        json["x-weight"] = JsonNode.Parse("1.50");
        var unsigned = PluginManifest.FromJson(json);
        var legacyBytes = CanonicalJson.Write(unsigned.Json, skipTopLevel: "signature");
        Assert.NotEqual(legacyBytes, unsigned.CanonicalBytes());
        json["signature"] = new JsonObject
        {
            ["algorithm"] = PackageSigner.Algorithm,
            ["keyId"] = PackageSigner.KeyId(key.ExportSubjectPublicKeyInfoPem()),
            ["value"] = Convert.ToBase64String(key.SignData(legacyBytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)),
        };
        var old = PluginManifest.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));
        json["signature"]!["canonicalization"] = "rfc8785";
        var relabelled = PluginManifest.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));

        Assert.Null(old.Signature!.Canonicalization);
        Assert.True(PackageSigner.IsValid(old, key.ExportSubjectPublicKeyInfoPem()));
        Assert.False(PackageSigner.IsValid(relabelled, key.ExportSubjectPublicKeyInfoPem()));
    }

    [Fact]
    public void Parse_UnknownCanonicalization_ManifestInvalidNamingTheField()
    {
        var json = TestPackages.Manifest();
        json["files"] = new JsonObject { ["Sample.dll"] = new string('a', 64) };
        json["signature"] = new JsonObject { ["algorithm"] = PackageSigner.Algorithm, ["canonicalization"] = "c14n", ["keyId"] = "0123456789abcdef", ["value"] = "AAAA" };

        var error = Assert.Throws<PackageException>(() => PluginManifest.Parse(Encoding.UTF8.GetBytes(json.ToJsonString())));

        Assert.Equal(PackageProblem.ManifestInvalid, error.Problem);
        Assert.Contains("'signature.canonicalization' is \"c14n\"", error.Message, StringComparison.Ordinal);
    }
}
