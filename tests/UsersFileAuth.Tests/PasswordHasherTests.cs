using UsersFileAuth.Internal;

namespace UsersFileAuth.Tests;

public sealed class PasswordHasherTests
{
    // Made independently with Python: hashlib.pbkdf2_hmac('sha256', b'correct horse', bytes(range(16)), 210000, 32).
    private const string PythonMadeHash = "pbkdf2-sha256$210000$AAECAwQFBgcICQoLDA0ODw==$gxlf+Rr9C5tHYNeBy6tVTQi7bKgI2CUjXCDI6UrbXGg=";

    [Fact]
    public void Verify_SamePasswordAsHashed_ReturnsTrue()
    {
        // Arrange
        var hash = PasswordHasher.Hash("s3cret pass");

        // Act
        var valid = PasswordHasher.Verify("s3cret pass", hash);

        // Assert
        Assert.True(valid);
    }

    [Fact]
    public void Verify_WrongPassword_ReturnsFalse()
    {
        // Arrange
        var hash = PasswordHasher.Hash("s3cret pass");

        // Act
        var valid = PasswordHasher.Verify("s3cret Pass", hash);

        // Assert
        Assert.False(valid);
    }

    [Fact]
    public void Hash_Default_WritesSchemeIterationsAndRandomSalt()
    {
        // Act
        var first = PasswordHasher.Hash("same");
        var second = PasswordHasher.Hash("same");

        // Assert
        var parts = first.Split('$');
        Assert.Equal(4, parts.Length);
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.True(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) >= 210_000);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Verify_HashMadeByAnotherPbkdf2Implementation_MatchesOnlyItsPassword()
    {
        // Act
        var right = PasswordHasher.Verify("correct horse", PythonMadeHash);
        var wrong = PasswordHasher.Verify("correct horse ", PythonMadeHash);

        // Assert
        Assert.True(right);
        Assert.False(wrong);
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain-text-password")]
    [InlineData("pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$gxlf+Rr9C5tHYNeBy6tVTQi7bKgI2CUjXCDI6UrbXGg=")]
    [InlineData("pbkdf2-sha256$210000$not base64$gxlf+Rr9C5tHYNeBy6tVTQi7bKgI2CUjXCDI6UrbXGg=")]
    [InlineData("bcrypt$210000$AAECAwQFBgcICQoLDA0ODw==$gxlf+Rr9C5tHYNeBy6tVTQi7bKgI2CUjXCDI6UrbXGg=")]
    public void Verify_UnusableHash_ReturnsFalseAndIsValidSaysWhy(string hash)
    {
        // Act
        var valid = PasswordHasher.Verify("correct horse", hash);
        var wellFormed = PasswordHasher.IsValid(hash, out var problem);

        // Assert
        Assert.False(valid);
        Assert.False(wellFormed);
        Assert.NotEmpty(problem);
    }

    [Fact]
    public void VerifyAgainstDummy_AnyPassword_ReturnsFalse()
    {
        // Act
        var valid = PasswordHasher.VerifyAgainstDummy("whatever");

        // Assert
        Assert.False(valid);
    }
}
