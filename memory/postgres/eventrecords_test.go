package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/postgres"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
)

// record is one row of event_records, as a comparable string.
func records(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT id, customer_id, type || '/' || source, at, props::text FROM event_records ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, cus, typ, props string
		var at time.Time
		if err := rows.Scan(&id, &cus, &typ, &at, &props); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s", id, cus, typ, at.UTC().Format(time.RFC3339), props))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// recordsOfEvents is what event_records must hold: the events table's rows
// of the record types.
func recordsOfEvents(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT id, customer_id, type || '/' || source, at, props::text FROM events
		WHERE type IN ('conversation.turn', 'survey', 'nba_offered', 'nba_feedback', 'proactive.firing', 'handoff.record') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, cus, typ, props string
		var at time.Time
		if err := rows.Scan(&id, &cus, &typ, &at, &props); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s", id, cus, typ, at.UTC().Format(time.RFC3339), props))
	}
	return out
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func newCustomer(t *testing.T, s *postgres.Store, name string) string {
	t.Helper()
	c, _, err := s.CustomerByIdentity(context.Background(), memory.Identity{Kind: memory.IdentityWebVisitor, Value: name})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

var recAt = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func recEvent(id, customer, typ string, min int, props string) memory.Event {
	return memory.Event{ID: id, CustomerID: customer, Type: typ, Source: "test", At: recAt.Add(time.Duration(min) * time.Minute), Props: []byte(props)}
}

// TestEventRecordsOnce: AppendEvents copies the record types, and only
// them, to event_records; redelivering events (again, or twice in one
// batch, with other contents) copies nothing twice and changes nothing.
func TestEventRecordsOnce(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	s := open(t, url, 8)
	defer s.Close()
	conn := connect(t, url)
	a := newCustomer(t, s, "alice")
	batch := []memory.Event{
		recEvent("t1", a, "conversation.turn", 0, `{"conversation_id":"c1","mood":"neutral"}`),
		recEvent("p1", a, "page_view", 1, `{"url":"/a"}`),
		recEvent("t1", a, "conversation.turn", 2, `{"conversation_id":"other"}`), // repeated in the batch
		recEvent("s1", a, "survey", 3, `{"ces":2}`),
		recEvent("o1", a, "nba_offered", 4, `{"decision_id":"d1","action":"coupon"}`),
		recEvent("f1", a, "nba_feedback", 5, `{"decision_id":"d1","outcome":"accepted"}`),
		recEvent("x1", a, "proactive.firing", 6, `{"trigger":"t"}`),
		recEvent("h1", a, "handoff.record", 7, `{"conversation_id":"c1"}`),
		recEvent("b1", a, "bill_paid", 8, `{"amount":3}`),
	}
	created, err := s.AppendEvents(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, false, true, true, true, true, true, true}; !slices.Equal(created, want) {
		t.Fatalf("created %v, want %v", created, want)
	}
	first := records(t, conn)
	if len(first) != 6 {
		t.Fatalf("event_records after the batch: %d rows, want the 6 record events:\n%s", len(first), strings.Join(first, "\n"))
	}
	if !slices.Equal(first, recordsOfEvents(t, conn)) {
		t.Fatalf("event_records differ from the record events:\n%s\nwant\n%s", strings.Join(first, "\n"), strings.Join(recordsOfEvents(t, conn), "\n"))
	}
	if !strings.Contains(first[slices.IndexFunc(first, func(r string) bool { return strings.HasPrefix(r, "t1 ") })], `"c1"`) {
		t.Errorf("the first of a repeated id must be kept: %v", first)
	}
	// The turn's fields, extracted when it was written; a field of the
	// wrong type is absent, and a turn without a conversation id is none's.
	if _, err := s.AppendEvents(ctx, []memory.Event{
		recEvent("full", a, "conversation.turn", 20, `{"conversation_id":"c2","channel":"web","intent":"refund","mood":"angry","valence":-0.5,"repeats":1,"intervened":true,"response_ms":1200,"tokens":345,"cost":0.0021}`),
		recEvent("half", a, "conversation.turn", 22, `{"conversation_id":"c3","mood":7,"valence":0,"tokens":1e300,"cost":1e-301,"intervened":false}`),
		recEvent("bad", a, "conversation.turn", 21, `{"conversation_id":"","channel":3,"intent":null,"mood":["x"],"valence":"low","repeats":"1","intervened":"yes","response_ms":{},"tokens":1e400,"cost":-1e-400}`),
	}); err != nil {
		t.Fatal(err)
	}
	var fields []string
	rows, err := conn.Query(ctx, `SELECT concat_ws('|', conversation_id, channel, intent, mood, valence, repeats, intervened, response_ms, tokens, cost, decision_id, action, outcome, csat, ces)
		FROM event_records WHERE id IN ('full', 'bad', 'half', 's1', 'o1', 'f1') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f)
	}
	if want := []string{"", "d1|accepted", "c2|web|refund|angry|-0.5|1|t|1200|345|0.0021", "c3|0|f|1e+300", "d1|coupon", "2"}; !slices.Equal(fields, want) {
		t.Fatalf("fields of bad, f1, full, half, o1, s1: %q, want %q", fields, want)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM events WHERE id IN ('full', 'bad', 'half')`); err != nil {
		t.Fatal(err)
	}
	if n := len(records(t, conn)); n != 6 {
		t.Fatalf("deleting events left %d records, want their copies gone too", n)
	}
	// Redelivery, whole and with a changed duplicate and a new record.
	batch[0].Props = []byte(`{"conversation_id":"changed"}`)
	created, err = s.AppendEvents(ctx, append(batch, recEvent("t2", a, "conversation.turn", 9, `{"conversation_id":"c1"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if n := countTrue(created); n != 1 || !created[len(created)-1] {
		t.Fatalf("redelivery created %v, want only the new turn", created)
	}
	again := records(t, conn)
	if len(again) != 7 || !slices.Equal(again, recordsOfEvents(t, conn)) || !slices.Equal(slices.DeleteFunc(slices.Clone(again), func(r string) bool { return strings.HasPrefix(r, "t2 ") }), first) {
		t.Fatalf("event_records after redelivery:\n%s", strings.Join(again, "\n"))
	}
	// A batch with an unknown customer stores nothing, copies included.
	if _, err := s.AppendEvents(ctx, []memory.Event{recEvent("t3", a, "conversation.turn", 10, `{}`), recEvent("t4", "cus_nobody", "survey", 10, `{}`)}); err == nil {
		t.Fatal("unknown customer: no error")
	}
	if n := len(records(t, conn)); n != 7 {
		t.Fatalf("a failed batch left %d records, want 7", n)
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// TestEventRecordsBackfill: migration 0008 copies the record events that
// were stored before it.
func TestEventRecordsBackfill(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	s := open(t, url, 8)
	a, b := newCustomer(t, s, "alice"), newCustomer(t, s, "bob")
	var evs []memory.Event
	for i, typ := range []string{"conversation.turn", "page_view", "survey", "nba_offered", "order_placed", "nba_feedback", "proactive.firing", "handoff.record"} {
		for _, c := range []string{a, b} {
			evs = append(evs, recEvent(fmt.Sprintf("%s-%d", c, i), c, typ, i, fmt.Sprintf(`{"n":%d,"conversation_id":"c-%s","mood":"calm","valence":0.%d,"tokens":%d}`, i, c, i, 10*i)))
		}
	}
	if _, err := s.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	fieldsBefore := recordFields(t, connect(t, url))
	if len(fieldsBefore) != 12 {
		t.Fatalf("record fields before the backfill: %q", fieldsBefore)
	}
	s.Close()
	// Back to the schema before 0008, with the events in place.
	conn := connect(t, url)
	if _, err := conn.Exec(ctx, `DROP TABLE event_records; DROP TABLE event_record_types; DROP FUNCTION kairos_jsonb_text, kairos_jsonb_float8;
		DELETE FROM kairos_schema_migrations WHERE version = 8`); err != nil {
		t.Fatal(err)
	}
	s = open(t, url, 8)
	defer s.Close()
	got, want := records(t, conn), recordsOfEvents(t, conn)
	if len(got) != 12 || !slices.Equal(got, want) || !slices.Equal(recordFields(t, conn), fieldsBefore) {
		t.Fatalf("backfilled records:\n%s\nwant (12)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// New events are copied after the backfill as before.
	if _, err := s.AppendEvents(ctx, []memory.Event{recEvent("late", a, "survey", 30, `{"csat":4}`)}); err != nil {
		t.Fatal(err)
	}
	if got := records(t, conn); len(got) != 13 || !slices.Equal(got, recordsOfEvents(t, conn)) {
		t.Fatalf("records after a new survey: %d", len(got))
	}
}

// TestEventRecordsMergeAndErase: a merge moves the copies to the survivor
// with the events; erasing a customer deletes its copies and no one
// else's.
func TestEventRecordsMergeAndErase(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	s := open(t, url, 8)
	defer s.Close()
	conn := connect(t, url)
	a, b, c := newCustomer(t, s, "alice"), newCustomer(t, s, "bob"), newCustomer(t, s, "carol")
	for i, cus := range []string{a, b, c} {
		if _, err := s.AppendEvents(ctx, []memory.Event{
			recEvent(fmt.Sprintf("turn-%d", i), cus, "conversation.turn", i, `{"conversation_id":"x"}`),
			recEvent(fmt.Sprintf("view-%d", i), cus, "page_view", i, `{"url":"/"}`),
			recEvent(fmt.Sprintf("fire-%d", i), cus, "proactive.firing", i, `{"trigger":"t"}`),
		}); err != nil {
			t.Fatal(err)
		}
	}
	// bob's identity is linked to alice: bob is merged into alice.
	if _, err := s.LinkIdentity(ctx, a, memory.Identity{Kind: memory.IdentityWebVisitor, Value: "bob"}, a, "test"); err != nil {
		t.Fatal(err)
	}
	got := records(t, conn)
	if !slices.Equal(got, recordsOfEvents(t, conn)) {
		t.Fatalf("records after the merge differ from the events:\n%s", strings.Join(got, "\n"))
	}
	for _, r := range got {
		if strings.Contains(r, " "+b+" ") {
			t.Fatalf("a record is still under the merged id: %s", r)
		}
	}
	er, err := s.DeleteCustomer(ctx, b) // the merged id erases the survivor
	if err != nil {
		t.Fatal(err)
	}
	if er.Events != 6 {
		t.Errorf("erased %d events, want alice's and bob's 6", er.Events)
	}
	got = records(t, conn)
	if len(got) != 2 || !slices.Equal(got, recordsOfEvents(t, conn)) {
		t.Fatalf("records after erasing alice: want carol's 2:\n%s", strings.Join(got, "\n"))
	}
	for _, r := range got {
		if !strings.Contains(r, " "+c+" ") {
			t.Fatalf("record of an erased customer left: %s", r)
		}
	}
}

// recordFields are the extracted columns of every record.
func recordFields(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT concat_ws('|', id, conversation_id, channel, intent, mood, valence,
		repeats, intervened, response_ms, tokens, cost, decision_id, action, outcome, csat, ces) FROM event_records ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return fs
}
