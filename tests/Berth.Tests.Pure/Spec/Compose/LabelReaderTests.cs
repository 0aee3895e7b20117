using Berth.Reconciler.Engine;
using Berth.Reconciler.Spec.Compose;

namespace Berth.Tests.Spec.Compose;

public sealed class LabelReaderTests
{
    [Fact]
    public void ReservedPrefix_IsThePrefixOfEveryLabelBerthWrites()
    {
        Assert.Equal(BerthLabels.Prefix, LabelReader.ReservedPrefix);
    }
}
