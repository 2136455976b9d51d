package longterm

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embed"
	"github.com/kairoscx/kairos/memory/embedded"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	k     *Keeper
	store *embedded.Store
	clock *clock
	cust  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := &clock{now: t0}
	s, err := embedded.Open(context.Background(), embedded.Options{Dir: t.TempDir(), Dim: 256, Now: c.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cust, _, err := s.CustomerByIdentity(context.Background(), memory.Identity{Kind: memory.IdentityWebVisitor, Value: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := New(Config{Store: s, Embedder: embed.NewOffline(256), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{k: k, store: s, clock: c, cust: cust.ID}
}

func (f *fixture) learn(t *testing.T, texts ...string) Outcome {
	t.Helper()
	var msgs []memory.Message
	for i, s := range texts {
		msgs = append(msgs, memory.Message{ConversationID: "conv1", Seq: int64(i + 1), Role: memory.RoleCustomer, Text: s, CreatedAt: f.clock.Now()})
	}
	out, err := f.k.Learn(context.Background(), ExtractInput{CustomerID: f.cust, Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) current(t *testing.T) map[string]string {
	t.Helper()
	ms, err := f.store.Memories(context.Background(), f.cust, false)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range ms {
		out[m.Key] = m.Value
	}
	return out
}

func TestReconcileRules(t *testing.T) {
	old := func(id, key, value, text string) memory.Memory {
		return memory.Memory{ID: id, Key: key, Value: value, Text: text, ValidFrom: t0}
	}
	existing := []memory.Memory{
		old("m1", "baby.age", "8 months", "客户的宝宝8个月大"),
		old("m2", "location.city", "Shanghai", "客户住在上海"),
		old("m3", "", "", "Likes gift wrapping"),
		old("m4", "pet.dog", "yes", "客户养了狗"),
		{ID: "m5", Key: "clothing.size", Value: "S", ValidFrom: t0, ValidTo: t0.Add(time.Hour)}, // history
	}
	tests := []struct {
		name string
		c    Candidate
		want string // op:old
	}{
		{"same key and value", Candidate{Key: "baby.age", Value: "8 Months"}, "skip:m1"},
		{"same key new value", Candidate{Key: "baby.age", Value: "9 months"}, "supersede:m1"},
		{"same free text", Candidate{Text: "likes gift-wrapping!"}, "skip:m3"},
		{"new free text", Candidate{Text: "Works night shifts"}, "add:"},
		{"new key", Candidate{Key: "clothing.size", Value: "M"}, "add:"},
		{"retract", Candidate{Key: "pet.dog", Value: "yes", Retract: true}, "invalidate:m4"},
		{"retract other value", Candidate{Key: "location.city", Value: "Beijing", Retract: true}, "skip:m2"},
		{"retract same value", Candidate{Key: "location.city", Value: "Shanghai", Retract: true}, "invalidate:m2"},
		{"retract unknown", Candidate{Key: "pet.cat", Value: "yes", Retract: true}, "skip:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acts := Reconcile([]Candidate{tt.c}, existing)
			if len(acts) != 1 {
				t.Fatalf("actions = %+v", acts)
			}
			if got := string(acts[0].Op) + ":" + acts[0].Old.ID; got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("last of a key wins", func(t *testing.T) {
		acts := Reconcile([]Candidate{{Key: "baby.age", Value: "9 months"}, {Key: "baby.age", Value: "8 months"}}, existing)
		if len(acts) != 1 || acts[0].Op != OpSkip {
			t.Errorf("actions = %+v, want one skip (the later statement repeats the stored value)", acts)
		}
	})
}

func TestLearnKeepsHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if out := f.learn(t, "宝宝8个月了", "我在上海", "I have a dog"); out.Added != 3 {
		t.Fatalf("first learn = %+v, want 3 added", out)
	}
	if out := f.learn(t, "宝宝8个月了"); out.Skipped != 1 || out.Added != 0 {
		t.Errorf("repeat = %+v, want a skipped duplicate", out)
	}
	f.clock.Add(30 * 24 * time.Hour)
	out := f.learn(t, "宝宝9个月了", "I don't have a dog anymore", "我不在北京")
	if out.Superseded != 1 || out.Invalidated != 1 || out.Skipped != 1 {
		t.Errorf("update = %+v, want 1 superseded, 1 invalidated, 1 skipped", out)
	}
	cur := f.current(t)
	if cur["baby.age"] != "9 months" || cur["location.city"] != "Shanghai" || cur["pet.dog"] != "" {
		t.Errorf("current = %v", cur)
	}
	all, err := f.store.Memories(ctx, f.cust, true)
	if err != nil {
		t.Fatal(err)
	}
	var old, dog memory.Memory
	for _, m := range all {
		switch {
		case m.Key == "baby.age" && m.Value == "8 months":
			old = m
		case m.Key == "pet.dog":
			dog = m
		}
	}
	if old.ID == "" || old.Current() || old.SupersededBy == "" || !old.ValidTo.After(old.ValidFrom) {
		t.Errorf("superseded memory = %+v, want it kept with its validity interval", old)
	}
	if dog.ID == "" || dog.Current() || dog.SupersededBy != "" {
		t.Errorf("invalidated memory = %+v, want ended without successor", dog)
	}
}

func TestRecallRanksAndDescribes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.learn(t, "宝宝8个月了", "宝宝对牛奶蛋白过敏", "我穿L码", "喜欢顺丰", "我在杭州")
	f.clock.Add(21 * 24 * time.Hour)
	tests := []struct{ query, key string }{
		{"我上次说宝宝多大了？", "baby.age"},
		{"What size did I say I wear?", "clothing.size"},
		{"你们知道我喜欢哪家快递吗", "shipping.carrier"},
		{"宝宝对什么过敏来着", "baby.allergy.milk_protein"},
		{"which city do I live in?", "location.city"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rs, err := f.k.Recall(ctx, f.cust, tt.query, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 || rs[0].Key != tt.key || !rs[0].Relevant {
				t.Fatalf("top = %+v, want %s", rs, tt.key)
			}
			if len(rs[0].Embedding) != 0 {
				t.Error("recalled memories carry their embeddings")
			}
		})
	}
	rs, _ := f.k.Recall(ctx, f.cust, "我上次说宝宝多大了？", 1)
	if got := Describe(rs[0].Memory, f.clock.Now(), "zh"); got != "您的宝宝8个月大（3周前告诉我们的）" {
		t.Errorf("Describe zh = %q", got)
	}
	f.clock.Add(21 * 24 * time.Hour)
	if got := Describe(rs[0].Memory, f.clock.Now(), "en"); got != "your baby is 8 months old (you told us 6 weeks ago; that makes about 9 months now)" {
		t.Errorf("Describe en = %q", got)
	}
}

func TestRecallWeightsImportanceAndRecency(t *testing.T) {
	now := t0
	m := func(id string, imp float64, age time.Duration) memory.MemoryHit {
		return memory.MemoryHit{Memory: memory.Memory{ID: id, Text: "x", Importance: imp, ValidFrom: now.Add(-age)}}
	}
	// Same ranks in both lists: importance and recency decide.
	lists := [][]memory.MemoryHit{
		{m("old", 0.8, 365*24*time.Hour), m("fresh", 0.8, 0), m("minor", 0.1, 0)},
		{m("old", 0.8, 365*24*time.Hour), m("fresh", 0.8, 0), m("minor", 0.1, 0)},
	}
	rs := fuse(lists, nil, now)
	var order []string
	for _, r := range rs {
		order = append(order, r.ID)
	}
	if strings.Join(order, ",") != "fresh,old,minor" {
		t.Errorf("order = %v, want fresh (recent), old (ranked first but a year old), minor (unimportant)", order)
	}
}

func TestDeletedMemoryIsNeverRecalled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.learn(t, "宝宝8个月了")
	ms, _ := f.store.Memories(ctx, f.cust, false)
	if len(ms) != 1 {
		t.Fatalf("memories = %+v", ms)
	}
	if err := f.store.DeleteMemory(ctx, ms[0].ID); err != nil {
		t.Fatal(err)
	}
	rs, err := f.k.Recall(ctx, f.cust, "宝宝多大了", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 0 {
		t.Errorf("recalled after delete: %+v", rs)
	}
}

func TestEpisodeSummary(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	msgs := []memory.Message{
		{ConversationID: "conv_a", Seq: 1, Role: memory.RoleCustomer, Text: "你好"},
		{ConversationID: "conv_a", Seq: 2, Role: memory.RoleBot, Text: "您好！", ReplyTo: 1},
		{ConversationID: "conv_a", Seq: 3, Role: memory.RoleCustomer, Text: "退款多久到账？"},
		{ConversationID: "conv_a", Seq: 4, Role: memory.RoleBot, Text: "退款审核通过后 3-5 个工作日原路退回。其他说明……", ReplyTo: 3},
		{ConversationID: "conv_a", Seq: 5, Role: memory.RoleCustomer, Text: "能发顺丰吗？"},
		{ConversationID: "conv_a", Seq: 6, Role: memory.RoleCustomer, Text: "谢谢"},
	}
	ep, ok := Summarize(msgs, "")
	if !ok || ep.Lang != "zh" || ep.Topics != "退款多久到账？；能发顺丰吗？" ||
		ep.Text != "客户咨询了：退款多久到账？（答复：退款审核通过后 3-5 个工作日原路退回。）；能发顺丰吗？" || len(ep.Sources) != 2 {
		t.Errorf("episode = %+v", ep)
	}
	if _, ok := Summarize(msgs[:2], ""); ok {
		t.Error("a greeting alone made an episode")
	}
	en, ok := Summarize([]memory.Message{
		{Seq: 1, Role: memory.RoleCustomer, Text: "When do refunds arrive?"},
		{Seq: 2, Role: memory.RoleBot, Text: "Within 3-5 working days. More details follow.", ReplyTo: 1},
	}, "")
	if !ok || en.Text != "The customer asked: When do refunds arrive? (we answered: Within 3-5 working days.)" {
		t.Errorf("en episode = %+v", en)
	}
	// Summarising the same conversation again supersedes the first summary.
	if _, ok, err := f.k.SummarizeConversation(ctx, f.cust, "conv_a", "", msgs[:4]); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, _, err := f.k.SummarizeConversation(ctx, f.cust, "conv_a", "", msgs); err != nil {
		t.Fatal(err)
	}
	ep2, ok, err := f.k.LastEpisode(ctx, f.cust)
	if err != nil || !ok || ep2.Value != "退款多久到账？；能发顺丰吗？" {
		t.Errorf("last episode = %+v %v %v", ep2, ok, err)
	}
	all, _ := f.store.Memories(ctx, f.cust, true)
	if len(all) != 2 {
		t.Errorf("history = %d memories, want the first summary kept as history", len(all))
	}
}

func TestAgo(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		d      time.Duration
		zh, en string
	}{
		{time.Minute, "刚才", "just now"},
		{3 * day, "3天前", "3 days ago"},
		{21 * day, "3周前", "3 weeks ago"},
		{90 * day, "3个月前", "3 months ago"},
		{400 * day, "1年前", "1 year ago"},
	}
	for _, tt := range tests {
		if got := Ago(t0.Add(-tt.d), t0, "zh"); got != tt.zh {
			t.Errorf("zh %v = %q", tt.d, got)
		}
		if got := Ago(t0.Add(-tt.d), t0, "en"); got != tt.en {
			t.Errorf("en %v = %q", tt.d, got)
		}
	}
}
