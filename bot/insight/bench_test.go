package insight

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// benchDialogues are realistic conversations: the engine analyses each turn
// with the earlier turns and their insights, as kairos eval does.
var benchDialogues = [][]Turn{
	escalating,
	calmChat,
	{
		{Text: "亲，在吗在吗", ComposeMS: 1500, BotReply: "在的亲，请问有什么可以帮您？", Resolved: true},
		{Text: "我上周买的那个羽绒服咋还木有发货啊，订单号20240611888", GapMS: 15000, ComposeMS: 12000, Deletions: 6, BotReply: "订单正在备货中，预计48小时内发货。", Resolved: false},
		{Text: "上次也是这么说的，到底什么时候发？？我下周要出差急用", GapMS: 8000, ComposeMS: 9000, BotReply: "订单正在备货中，预计48小时内发货。", Resolved: false},
		{Text: "呵呵，真是谢谢你们了，转人工！！", GapMS: 4000, ComposeMS: 3000},
	},
	{
		{Text: "hi, I'd like to cancel my subscription, we barely use it tbh", ComposeMS: 8000, BotReply: "Sorry to hear that. You can cancel under Settings > Billing.", Resolved: true},
		{Text: "found it, but it says I'll be charged for the next month anyway?? that doesn't make sense", GapMS: 40000, ComposeMS: 14000, Deletions: 12, BotReply: "Plans renew at the start of the billing cycle.", Resolved: false},
		{Text: "I want a refund for that month then. not happy about this at all", GapMS: 9000, ComposeMS: 6000},
	},
	{
		{Text: "这款蓝牙耳机支持iPhone 15吗？续航多久", ComposeMS: 7000, BotReply: "支持的，续航约8小时。", Resolved: true},
		{Text: "好的，那有白色吗😊", GapMS: 20000, ComposeMS: 3000, BotReply: "有白色和黑色。", Resolved: true},
		{Text: "太好了，谢谢！马上下单", GapMS: 12000, ComposeMS: 2000},
	},
}

// BenchmarkOfflineTurn measures the offline analysis of one turn of a
// conversation (earlier insights passed, as the engine would) and reports
// the per-turn median and 99th percentile.
func BenchmarkOfflineTurn(b *testing.B) {
	type job struct {
		turns   []Turn
		earlier []Insight
	}
	var jobs []job
	for _, d := range benchDialogues {
		var earlier []Insight
		for i := range d {
			jobs = append(jobs, job{d[:i+1], slices.Clone(earlier)})
			earlier = append(earlier, Analyze(d[i].Text))
			in, _ := NewOffline().Analyze(context.Background(), d[:i+1], earlier[:i])
			earlier[i] = in
		}
	}
	benchTurns(b, func(i int) {
		j := jobs[i%len(jobs)]
		if _, err := NewOffline().Analyze(context.Background(), j.turns, j.earlier); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkOfflineTurnNoEarlier is the same without earlier insights: every
// earlier turn is read again (a caller that keeps no insights).
func BenchmarkOfflineTurnNoEarlier(b *testing.B) {
	var convs [][]Turn
	for _, d := range benchDialogues {
		for i := range d {
			convs = append(convs, d[:i+1])
		}
	}
	benchTurns(b, func(i int) {
		if _, err := NewOffline().Analyze(context.Background(), convs[i%len(convs)], nil); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkOfflineLongMessage is one message at the analysed-length cap
// (4 KB read of a 64 KB paste): the worst single turn.
func BenchmarkOfflineLongMessage(b *testing.B) {
	long := strings.Repeat("我上周买的羽绒服还没发货，where is my order?? 太失望了！ ", 700)
	benchTurns(b, func(int) { Analyze(long) })
}

func benchTurns(b *testing.B, turn func(i int)) {
	b.ReportAllocs()
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		turn(i)
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds())/1e3, "p50-µs/turn")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds())/1e3, "p99-µs/turn")
}
