using Berth.Reconciler.Spec.Compose;

namespace Berth.Tests.Spec.Compose;

public sealed class ShellWordsTests
{
    [Theory]
    [InlineData("a b  c", new[] { "a", "b", "c" })]
    [InlineData("sh -c 'echo $HOME'", new[] { "sh", "-c", "echo $HOME" })]
    [InlineData("say \"a \\\"quoted\\\" word\"", new[] { "say", "a \"quoted\" word" })]
    [InlineData("a\\ b c", new[] { "a b", "c" })]
    [InlineData("''", new[] { "" })]
    [InlineData("", new string[0])]
    public void Split_LikeCompose(string text, string[] expected)
    {
        Assert.Equal(expected, ShellWords.Split(text, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("echo 'open", "unterminated single quote")]
    [InlineData("echo \"open", "unterminated double quote")]
    public void Split_UnterminatedQuote_IsAnError(string text, string expected)
    {
        Assert.Null(ShellWords.Split(text, out var error));
        Assert.Equal(expected, error);
    }
}
