package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// farPast as idleSince means "never idle"; farFuture means "always idle".
var (
	farPast   = time.Time{}
	farFuture = time.Now().Add(100 * 365 * 24 * time.Hour)
)

func testCustomers(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	first, created, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: "web_visitor", Value: "v1"})
	wantErr(t, "first sight", err, nil)
	if !created || first.ID == "" || first.CreatedAt.IsZero() {
		t.Fatalf("first sight: got %+v created=%v, want a new customer", first, created)
	}
	again, created, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: "web_visitor", Value: "v1"})
	wantErr(t, "second sight", err, nil)
	if created || again.ID != first.ID || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("second sight: got %+v created=%v, want %+v", again, created, first)
	}
	other, created, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: "site_user", Value: "v1"})
	wantErr(t, "other kind", err, nil)
	if !created || other.ID == first.ID {
		t.Fatalf("same value under another kind must be another customer, got %+v", other)
	}

	bad := []struct {
		name string
		id   memory.Identity
	}{
		{"empty kind", memory.Identity{Value: "x"}},
		{"empty value", memory.Identity{Kind: "web_visitor"}},
		{"both empty", memory.Identity{}},
		{"NUL in value", memory.Identity{Kind: "web_visitor", Value: "a\x00b"}},
		{"invalid UTF-8", memory.Identity{Kind: "web_visitor", Value: "\xff\xfe"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.CustomerByIdentity(ctx, tc.id)
			wantErr(t, "customer by identity", err, memory.ErrInvalid)
		})
	}
}

func testConversations(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	cus := newCustomer(t, s)

	conv, err := s.CurrentConversation(ctx, cus.ID, "web", farPast)
	wantErr(t, "start", err, nil)
	if conv.ID == "" || conv.CustomerID != cus.ID || conv.Channel != "web" || conv.LastSeq != 0 || conv.AckedSeq != 0 || conv.CreatedAt.IsZero() || conv.UpdatedAt.IsZero() {
		t.Fatalf("start: got %+v", conv)
	}
	got, err := s.Conversation(ctx, conv.ID)
	wantErr(t, "get", err, nil)
	if !sameConversation(got, conv) {
		t.Fatalf("get: got %+v, want %+v", got, conv)
	}

	same, err := s.CurrentConversation(ctx, cus.ID, "web", farPast)
	wantErr(t, "continue", err, nil)
	if same.ID != conv.ID {
		t.Fatalf("continue: got conversation %s, want %s", same.ID, conv.ID)
	}
	otherChannel, err := s.CurrentConversation(ctx, cus.ID, "wechat", farPast)
	wantErr(t, "other channel", err, nil)
	if otherChannel.ID == conv.ID || otherChannel.Channel != "wechat" {
		t.Fatalf("other channel: got %+v", otherChannel)
	}

	m := appendText(t, s, conv.ID, memory.RoleCustomer, "hello")
	after, err := s.Conversation(ctx, conv.ID)
	wantErr(t, "after append", err, nil)
	if after.LastSeq != m.Seq || after.UpdatedAt.Before(conv.UpdatedAt) {
		t.Fatalf("after append: got %+v, want LastSeq %d and UpdatedAt not before %v", after, m.Seq, conv.UpdatedAt)
	}

	fresh, err := s.CurrentConversation(ctx, cus.ID, "web", farFuture)
	wantErr(t, "idle", err, nil)
	if fresh.ID == conv.ID || fresh.LastSeq != 0 {
		t.Fatalf("idle: got %+v, want a new conversation", fresh)
	}
	latest, err := s.CurrentConversation(ctx, cus.ID, "web", farPast)
	wantErr(t, "latest", err, nil)
	if latest.ID != fresh.ID {
		t.Fatalf("latest: got %s, want the newest conversation %s", latest.ID, fresh.ID)
	}

	t.Run("unknown customer", func(t *testing.T) {
		_, err := s.CurrentConversation(ctx, "cus_missing", "web", farPast)
		wantErr(t, "current conversation", err, memory.ErrNotFound)
	})
	t.Run("empty channel", func(t *testing.T) {
		_, err := s.CurrentConversation(ctx, cus.ID, "", farPast)
		wantErr(t, "current conversation", err, memory.ErrInvalid)
	})
	t.Run("unknown conversation", func(t *testing.T) {
		_, err := s.Conversation(ctx, "conv_missing")
		wantErr(t, "conversation", err, memory.ErrNotFound)
	})
}

func testMessages(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	conv := newConversation(t, s)

	var want []memory.Message
	for i, text := range []string{"一", "二", "三", "四", "五"} {
		m := appendText(t, s, conv.ID, memory.RoleCustomer, text)
		if m.Seq != int64(i+1) || m.Text != text || m.Role != memory.RoleCustomer || m.ConversationID != conv.ID || m.CreatedAt.IsZero() {
			t.Fatalf("append %d: got %+v", i, m)
		}
		want = append(want, m)
	}

	cases := []struct {
		name   string
		get    func() ([]memory.Message, error)
		wantSq []int64
	}{
		{"all", func() ([]memory.Message, error) { return s.Messages(ctx, conv.ID, 0, 0) }, []int64{1, 2, 3, 4, 5}},
		{"after 2", func() ([]memory.Message, error) { return s.Messages(ctx, conv.ID, 2, 0) }, []int64{3, 4, 5}},
		{"after 2 limit 2", func() ([]memory.Message, error) { return s.Messages(ctx, conv.ID, 2, 2) }, []int64{3, 4}},
		{"after last", func() ([]memory.Message, error) { return s.Messages(ctx, conv.ID, 5, 10) }, nil},
		{"negative limit", func() ([]memory.Message, error) { return s.Messages(ctx, conv.ID, 0, -1) }, []int64{1, 2, 3, 4, 5}},
		{"last 2", func() ([]memory.Message, error) { return s.LastMessages(ctx, conv.ID, 2) }, []int64{4, 5}},
		{"last 10", func() ([]memory.Message, error) { return s.LastMessages(ctx, conv.ID, 10) }, []int64{1, 2, 3, 4, 5}},
		{"last default", func() ([]memory.Message, error) { return s.LastMessages(ctx, conv.ID, 0) }, []int64{1, 2, 3, 4, 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.get()
			wantErr(t, tc.name, err, nil)
			if len(got) != len(tc.wantSq) {
				t.Fatalf("got %d messages %+v, want seqs %v", len(got), got, tc.wantSq)
			}
			for i, m := range got {
				if m.Seq != tc.wantSq[i] || !sameMessage(m, want[m.Seq-1]) {
					t.Fatalf("message %d: got %+v, want %+v", i, m, want[tc.wantSq[i]-1])
				}
			}
		})
	}
	t.Run("unknown conversation", func(t *testing.T) {
		_, err := s.Messages(ctx, "conv_missing", 0, 10)
		wantErr(t, "messages", err, memory.ErrNotFound)
		_, err = s.LastMessages(ctx, "conv_missing", 10)
		wantErr(t, "last messages", err, memory.ErrNotFound)
	})

	t.Run("default limit is bounded", func(t *testing.T) {
		big := newConversation(t, s)
		for i := 0; i < 260; i++ {
			appendText(t, s, big.ID, memory.RoleBot, "x")
		}
		got, err := s.Messages(ctx, big.ID, 0, 0)
		wantErr(t, "messages", err, nil)
		if len(got) == 0 || len(got) >= 260 {
			t.Fatalf("default limit returned %d of 260 messages, want a bounded page", len(got))
		}
		last, err := s.LastMessages(ctx, big.ID, -5)
		wantErr(t, "last messages", err, nil)
		if len(last) == 0 || len(last) >= 260 || last[len(last)-1].Seq != 260 {
			t.Fatalf("default last messages returned %d, ending at %v", len(last), last[len(last)-1].Seq)
		}
	})

	bad := []struct {
		name string
		m    memory.Message
		want error
	}{
		{"empty text", memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer}, memory.ErrInvalid},
		{"unknown role", memory.Message{ConversationID: conv.ID, Role: "robot", Text: "x"}, memory.ErrInvalid},
		{"empty role", memory.Message{ConversationID: conv.ID, Text: "x"}, memory.ErrInvalid},
		{"NUL in text", memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "a\x00b"}, memory.ErrInvalid},
		{"invalid UTF-8 text", memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "\xc3\x28"}, memory.ErrInvalid},
		{"invalid UTF-8 client id", memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "x", ClientID: "\xff"}, memory.ErrInvalid},
		{"oversize text", memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: strings.Repeat("长", 1<<19)}, memory.ErrInvalid},
		{"empty conversation", memory.Message{Role: memory.RoleBot, Text: "x"}, memory.ErrInvalid},
		{"negative seq", memory.Message{ConversationID: conv.ID, Role: memory.RoleBot, Text: "x", Seq: -1}, memory.ErrInvalid},
		{"negative reply to", memory.Message{ConversationID: conv.ID, Role: memory.RoleBot, Text: "x", ReplyTo: -1}, memory.ErrInvalid},
		{"unknown conversation", memory.Message{ConversationID: "conv_missing", Role: memory.RoleBot, Text: "x"}, memory.ErrNotFound},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.AppendMessage(ctx, tc.m)
			wantErr(t, "append", err, tc.want)
		})
	}
	after, err := s.Conversation(ctx, conv.ID)
	wantErr(t, "conversation", err, nil)
	if after.LastSeq != 5 {
		t.Fatalf("rejected messages moved LastSeq to %d, want 5", after.LastSeq)
	}
}

func sameMessage(a, b memory.Message) bool {
	return a.ConversationID == b.ConversationID && a.Seq == b.Seq && a.Role == b.Role &&
		a.Text == b.Text && a.ClientID == b.ClientID && a.ReplyTo == b.ReplyTo && a.CreatedAt.Equal(b.CreatedAt)
}

func testSequences(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	conv := newConversation(t, s)

	appendText(t, s, conv.ID, memory.RoleCustomer, "q") // seq 1
	reserved, err := s.ReserveSeq(ctx, conv.ID)
	wantErr(t, "reserve", err, nil)
	if reserved != 2 {
		t.Fatalf("reserve: got %d, want 2", reserved)
	}
	next := appendText(t, s, conv.ID, memory.RoleCustomer, "q2")
	if next.Seq != 3 {
		t.Fatalf("append after reserve: got seq %d, want 3", next.Seq)
	}

	steps := []struct {
		name string
		seq  int64
		want error
	}{
		{"reserved", 2, nil},
		{"reserved again", 2, memory.ErrConflict},
		{"used by append", 3, memory.ErrConflict},
		{"beyond last", 4, memory.ErrInvalid},
		{"far beyond", 1 << 40, memory.ErrInvalid},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			m, _, err := s.AppendMessage(ctx, memory.Message{ConversationID: conv.ID, Seq: st.seq, Role: memory.RoleBot, Text: "a", ReplyTo: 1})
			wantErr(t, "append", err, st.want)
			if st.want == nil && m.Seq != st.seq {
				t.Fatalf("got seq %d, want %d", m.Seq, st.seq)
			}
		})
	}
	t.Run("unknown conversation", func(t *testing.T) {
		_, err := s.ReserveSeq(ctx, "conv_missing")
		wantErr(t, "reserve", err, memory.ErrNotFound)
	})

	t.Run("client id", func(t *testing.T) {
		m := memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "hi", ClientID: "c-1"}
		first, created, err := s.AppendMessage(ctx, m)
		wantErr(t, "first", err, nil)
		if !created {
			t.Fatal("first send: created=false")
		}
		m.Text = "hi (resent)"
		again, created, err := s.AppendMessage(ctx, m)
		wantErr(t, "resend", err, nil)
		if created || !sameMessage(again, first) {
			t.Fatalf("resend: got %+v created=%v, want %+v", again, created, first)
		}
		other, created, err := s.AppendMessage(ctx, memory.Message{ConversationID: newConversation(t, s).ID, Role: memory.RoleCustomer, Text: "hi", ClientID: "c-1"})
		wantErr(t, "other conversation", err, nil)
		if !created || other.Seq != 1 {
			t.Fatalf("same client id in another conversation: got %+v created=%v", other, created)
		}
		got, err := s.Conversation(ctx, conv.ID)
		wantErr(t, "conversation", err, nil)
		if got.LastSeq != first.Seq {
			t.Fatalf("resend moved LastSeq to %d, want %d", got.LastSeq, first.Seq)
		}
	})
}

func testReplyTo(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	conv := newConversation(t, s)
	q := appendText(t, s, conv.ID, memory.RoleCustomer, "question")                                                     // 1
	appendText(t, s, conv.ID, memory.RoleCustomer, "unanswered")                                                        // 2
	mustAppend(t, s, memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "quote", ReplyTo: q.Seq}) // 3: a customer, not an answer
	first := mustAppend(t, s, memory.Message{ConversationID: conv.ID, Role: memory.RoleBot, Text: "answer", ReplyTo: q.Seq})
	mustAppend(t, s, memory.Message{ConversationID: conv.ID, Role: memory.RoleAgent, Text: "later answer", ReplyTo: q.Seq})
	agentOnly := appendText(t, s, conv.ID, memory.RoleCustomer, "for a human") // 6
	byAgent := mustAppend(t, s, memory.Message{ConversationID: conv.ID, Role: memory.RoleAgent, Text: "human answer", ReplyTo: agentOnly.Seq})

	cases := []struct {
		name string
		conv string
		seq  int64
		want *memory.Message
		err  error
	}{
		{"earliest bot answer", conv.ID, q.Seq, &first, nil},
		{"agent answer", conv.ID, agentOnly.Seq, &byAgent, nil},
		{"unanswered", conv.ID, 2, nil, memory.ErrNotFound},
		{"no such seq", conv.ID, 99, nil, memory.ErrNotFound},
		{"unknown conversation", "conv_missing", 1, nil, memory.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ReplyTo(ctx, tc.conv, tc.seq)
			wantErr(t, "reply to", err, tc.err)
			if tc.want != nil && !sameMessage(got, *tc.want) {
				t.Fatalf("got %+v, want %+v", got, *tc.want)
			}
		})
	}
}

func mustAppend(t *testing.T, s memory.Store, m memory.Message) memory.Message {
	t.Helper()
	got, _, err := s.AppendMessage(context.Background(), m)
	if err != nil {
		t.Fatalf("append %+v: %v", m, err)
	}
	return got
}

func testAck(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	conv := newConversation(t, s)
	for i := 0; i < 3; i++ {
		appendText(t, s, conv.ID, memory.RoleBot, "m")
	}
	steps := []struct {
		name    string
		conv    string
		seq     int64
		err     error
		wantAck int64
	}{
		{"ack 2", conv.ID, 2, nil, 2},
		{"backwards is ignored", conv.ID, 1, nil, 2},
		{"ack last", conv.ID, 3, nil, 3},
		{"beyond last", conv.ID, 4, memory.ErrInvalid, 3},
		{"negative", conv.ID, -1, memory.ErrInvalid, 3},
		{"unknown conversation", "conv_missing", 1, memory.ErrNotFound, 3},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			wantErr(t, "ack", s.Ack(ctx, st.conv, st.seq), st.err)
			got, err := s.Conversation(ctx, conv.ID)
			wantErr(t, "conversation", err, nil)
			if got.AckedSeq != st.wantAck {
				t.Fatalf("AckedSeq %d, want %d", got.AckedSeq, st.wantAck)
			}
		})
	}
}

func sameConversation(a, b memory.Conversation) bool {
	return a.ID == b.ID && a.CustomerID == b.CustomerID && a.Channel == b.Channel && a.LastSeq == b.LastSeq &&
		a.AckedSeq == b.AckedSeq && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}
