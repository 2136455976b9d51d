package customerapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/customerapi"
	"github.com/kairoscx/kairos/memory/embedded"
)

type env struct {
	store *embedded.Store
	srv   *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := embedded.Open(context.Background(), embedded.Options{Dir: t.TempDir(), Dim: 4, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h, err := customerapi.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{store: s, srv: srv}
}

// customer creates a customer known by a web visitor id, with an event, a
// memory and a conversation.
func (e *env) customer(t *testing.T, visitor string) string {
	t.Helper()
	ctx := context.Background()
	c, _, err := e.store.CustomerByIdentity(ctx, memory.Identity{Kind: memory.IdentityWebVisitor, Value: visitor})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := e.store.AppendEvents(ctx, []memory.Event{{ID: "ev-" + visitor, CustomerID: c.ID, Type: "page_view",
		Source: "web", Props: json.RawMessage(`{"url":"https://shop.example.com/demo/"}`), At: now}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddMemory(ctx, memory.Memory{CustomerID: c.ID, Kind: memory.MemoryFact, Key: "baby.age",
		Text: "宝宝 8 个月 (" + visitor + ")", Value: "8 months", Importance: 0.8, Embedding: []float32{1, 0, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	conv, err := e.store.CurrentConversation(ctx, c.ID, "web", now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.AppendMessage(ctx, memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "hi", ClientID: "m1"}); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func (e *env) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestGetCustomer(t *testing.T) {
	e := newEnv(t)
	id := e.customer(t, "vis_a")
	status, body := e.do(t, "GET", "/api/v1/customers/"+id, "")
	if status != 200 {
		t.Fatalf("status %d: %v", status, body)
	}
	if body["customer"].(map[string]any)["id"] != id {
		t.Errorf("customer = %v", body["customer"])
	}
	for _, key := range []string{"identities", "recent_events", "memories", "merges"} {
		if _, ok := body[key].([]any); !ok {
			t.Errorf("%s is %T, want a list", key, body[key])
		}
	}
	if n := len(body["identities"].([]any)); n != 1 {
		t.Errorf("%d identities", n)
	}
	if n := len(body["recent_events"].([]any)); n != 1 {
		t.Errorf("%d events", n)
	}
	mems := body["memories"].([]any)
	if len(mems) != 1 || mems[0].(map[string]any)["value"] != "8 months" {
		t.Errorf("memories = %v", mems)
	}
	if _, ok := mems[0].(map[string]any)["embedding"]; ok {
		t.Error("memories carry their embedding")
	}
	if p, ok := body["profile"].(map[string]any); !ok || p["customer_id"] != id {
		t.Errorf("profile = %v", body["profile"])
	}
}

func TestNotFoundAndBadRequests(t *testing.T) {
	e := newEnv(t)
	id := e.customer(t, "vis_a")
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown customer", "GET", "/api/v1/customers/cus_nobody", "", 404, "not_found"},
		{"overlong id", "GET", "/api/v1/customers/" + strings.Repeat("x", 300), "", 404, "not_found"},
		{"delete unknown", "DELETE", "/api/v1/customers/cus_nobody", "", 404, "not_found"},
		{"wrong method", "PUT", "/api/v1/customers/" + id, "", 405, "method_not_allowed"},
		{"unknown path", "GET", "/api/v1/customers/" + id + "/nothing", "", 404, "not_found"},
		{"link malformed JSON", "POST", "/api/v1/customers/" + id + "/identities", `{"kind":`, 400, "invalid_json"},
		{"link unknown field", "POST", "/api/v1/customers/" + id + "/identities", `{"kind":"phone","value":"+8613800000000","owner":"x"}`, 400, "invalid_json"},
		{"link two objects", "POST", "/api/v1/customers/" + id + "/identities", `{"kind":"phone","value":"1"}{}`, 400, "invalid_json"},
		{"link merge not a bool", "POST", "/api/v1/customers/" + id + "/identities", `{"kind":"phone","value":"1","merge":"yes"}`, 400, "invalid_json"},
		{"link bad kind", "POST", "/api/v1/customers/" + id + "/identities", `{"kind":"Phone!","value":"1"}`, 400, "invalid"},
		{"link empty value", "POST", "/api/v1/customers/" + id + "/identities", `{"kind":"phone","value":""}`, 400, "invalid"},
		{"link value with newline", "POST", "/api/v1/customers/" + id + "/identities", `{"kind":"phone","value":"1\n2"}`, 400, "invalid"},
		{"link oversized body", "POST", "/api/v1/customers/" + id + "/identities", `{"kind":"phone","value":"` + strings.Repeat("1", 20000) + `"}`, 413, "too_large"},
		{"link unknown customer", "POST", "/api/v1/customers/cus_nobody/identities", `{"kind":"phone","value":"1"}`, 404, "not_found"},
		{"memory of nobody", "DELETE", "/api/v1/customers/" + id + "/memories/mem_nothing", "", 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.do(t, tt.method, tt.path, tt.body)
			if status != tt.status || errCode(body) != tt.code {
				t.Fatalf("%d %v, want %d %s", status, body, tt.status, tt.code)
			}
		})
	}
	// A bad field is named.
	_, body := e.do(t, "POST", "/api/v1/customers/"+id+"/identities", `{"kind":"phone","value":" 1"}`)
	if f := body["error"].(map[string]any)["field"]; f != "value" {
		t.Errorf("field = %v, want value", f)
	}
}

func TestLinkIdentity(t *testing.T) {
	e := newEnv(t)
	a := e.customer(t, "vis_a")
	b := e.customer(t, "vis_b")
	link := func(id, body string) (int, map[string]any) {
		return e.do(t, "POST", "/api/v1/customers/"+id+"/identities", body)
	}
	// A new identity is linked.
	if status, body := link(a, `{"kind":"phone","value":"+8613800000000"}`); status != 201 || body["linked"] != true {
		t.Fatalf("link new: %d %v", status, body)
	}
	// Again: nothing changes.
	if status, body := link(a, `{"kind":"phone","value":"+8613800000000"}`); status != 200 || body["linked"] != false {
		t.Fatalf("link again: %d %v", status, body)
	}
	// B claims A's phone without merge: 409 naming the owner.
	status, body := link(b, `{"kind":"phone","value":"+8613800000000"}`)
	if status != 409 || errCode(body) != "identity_taken" || body["error"].(map[string]any)["owner"] != a {
		t.Fatalf("conflict: %d %v", status, body)
	}
	// With merge, A merges into B: B survives with both histories.
	status, body = link(b, `{"kind":"phone","value":"+8613800000000","merge":true}`)
	if status != 201 || body["merged_from"] != a || body["customer"].(map[string]any)["id"] != b {
		t.Fatalf("merge: %d %v", status, body)
	}
	status, view := e.do(t, "GET", "/api/v1/customers/"+a, "")
	if status != 200 || view["customer"].(map[string]any)["id"] != b || view["resolved_from"] != a {
		t.Fatalf("merged id: %d %v", status, view)
	}
	if n := len(view["identities"].([]any)); n != 3 {
		t.Errorf("survivor has %d identities, want 3 (two visitors and the phone)", n)
	}
	if n := len(view["memories"].([]any)); n != 2 {
		t.Errorf("survivor has %d memories, want both", n)
	}
	if n := len(view["recent_events"].([]any)); n != 2 {
		t.Errorf("survivor has %d events, want both", n)
	}
	merges := view["merges"].([]any)
	if len(merges) == 0 || merges[len(merges)-1].(map[string]any)["from"] != a {
		t.Errorf("merges = %v, want one from %s", merges, a)
	}
}

func TestForget(t *testing.T) {
	e := newEnv(t)
	a := e.customer(t, "vis_a")
	b := e.customer(t, "vis_b")
	ctx := context.Background()
	memsB, _ := e.store.Memories(ctx, b, true)
	memsA, _ := e.store.Memories(ctx, a, true)

	// B's memory cannot be deleted through A.
	if status, body := e.do(t, "DELETE", "/api/v1/customers/"+a+"/memories/"+memsB[0].ID, ""); status != 404 {
		t.Fatalf("delete another customer's memory: %d %v", status, body)
	}
	if status, _ := e.do(t, "DELETE", "/api/v1/customers/"+a+"/memories/"+memsA[0].ID, ""); status != 204 {
		t.Fatalf("delete memory: %d", status)
	}
	if _, view := e.do(t, "GET", "/api/v1/customers/"+a, ""); len(view["memories"].([]any)) != 0 {
		t.Fatalf("deleted memory still shown: %v", view["memories"])
	}
	if hits, _ := e.store.SearchMemories(ctx, a, []float32{1, 0, 0, 0}, 10); len(hits) != 0 {
		t.Fatalf("deleted memory still recalled: %v", hits)
	}
	if status, _ := e.do(t, "DELETE", "/api/v1/customers/"+a+"/memories/"+memsA[0].ID, ""); status != 404 {
		t.Fatalf("second delete: %d, want 404", status)
	}

	status, body := e.do(t, "DELETE", "/api/v1/customers/"+a, "")
	if status != 200 || body["customer_id"] != a {
		t.Fatalf("erase: %d %v", status, body)
	}
	erased := body["erased"].(map[string]any)
	if erased["customers"] != 1.0 || erased["identities"] != 1.0 || erased["events"] != 1.0 || erased["messages"] != 1.0 {
		t.Errorf("erased = %v", erased)
	}
	if status, _ := e.do(t, "GET", "/api/v1/customers/"+a, ""); status != 404 {
		t.Fatalf("erased customer still served: %d", status)
	}
	if status, _ := e.do(t, "GET", "/api/v1/customers/"+b, ""); status != 200 {
		t.Fatalf("another customer gone too: %d", status)
	}
}
