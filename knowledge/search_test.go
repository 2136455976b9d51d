package knowledge

import (
	"context"
	"strings"
	"testing"

	"github.com/kairoscx/kairos/memory/embed"
	"github.com/kairoscx/kairos/memory/embedded"
)

// newSampleBase opens a real embedded store in a temporary directory and
// loads the sample knowledge base into it.
func newSampleBase(t testing.TB) *Base {
	t.Helper()
	ctx := context.Background()
	st, err := embedded.Open(ctx, embedded.Options{Dir: t.TempDir(), Dim: 256})
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	b := New(st, embed.NewOffline(256), nil)
	n, err := b.LoadSample(ctx)
	if err != nil {
		t.Fatalf("LoadSample: %v", err)
	}
	if n == 0 {
		t.Fatal("LoadSample loaded nothing into an empty store")
	}
	return b
}

func TestSearchSampleProbe(t *testing.T) {
	b := newSampleBase(t)
	for _, q := range []string{"退货政策是什么？", "How long does shipping take?", "滤芯多久换一次", "What size should I order?",
		"What's the weather on Mars?", "你们老板是谁", "asdfgh", "refund", "退款多久到账", "can I pay in instalments", "转人工", "奶粉一罐能吃多久", "how do I become a gold member", "hello", "你好"} {
		hits, err := b.Search(context.Background(), q, 3)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("Q %s  terms=%v", q, Terms(q))
		for _, h := range hits {
			t.Logf("   %-5v s=%.4f v=%.3f kw=%.2f cov=%.2f [%s] %s | %.40s", h.Relevant, h.Score, h.Vector, h.Keyword, h.Coverage, h.Lang, h.Heading, strings.ReplaceAll(h.Text, "\n", " "))
		}
	}
}
