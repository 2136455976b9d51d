package knowledge

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func do(t *testing.T, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerAddListSearchDelete(t *testing.T) {
	b := newBase(t)
	h := b.Handler()

	rec := do(t, h, "POST", "/api/v1/knowledge/documents",
		`{"title":"礼品包装","text":"# 礼品包装\n\n礼品包装每件 ¥5，附手写贺卡。","lang":"zh","source":"admin"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST status %d: %s", rec.Code, rec.Body)
	}
	var created documentJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Title != "礼品包装" || created.Format != FormatMarkdown || created.Lang != "zh" || created.Chunks != 1 {
		t.Fatalf("created = %+v", created)
	}

	// The very next search finds it.
	hits, err := b.Search(context.Background(), "礼品包装多少钱", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].DocumentID != created.ID || !hits[0].Relevant {
		t.Fatalf("search after POST: %+v", hits)
	}

	rec = do(t, h, "GET", "/api/v1/knowledge/documents", "")
	var list struct {
		Documents []documentJSON `json:"documents"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("GET %d %s: %v", rec.Code, rec.Body, err)
	}
	if len(list.Documents) != 1 || list.Documents[0].ID != created.ID || list.Documents[0].Source != "admin" {
		t.Fatalf("list = %+v", list)
	}

	if rec = do(t, h, "DELETE", "/api/v1/knowledge/documents/"+created.ID, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("DELETE status %d: %s", rec.Code, rec.Body)
	}
	if rec = do(t, h, "DELETE", "/api/v1/knowledge/documents/"+created.ID, ""); rec.Code != http.StatusNotFound {
		t.Fatalf("second DELETE status %d, want 404", rec.Code)
	}
	rec = do(t, h, "GET", "/api/v1/knowledge/documents", "")
	if !strings.Contains(rec.Body.String(), `"documents":[]`) {
		t.Fatalf("list after delete: %s", rec.Body)
	}
}

func TestHandlerRejects(t *testing.T) {
	h := newBase(t).Handler()
	huge, _ := json.Marshal(map[string]string{"title": "big", "text": strings.Repeat("a", maxBodyBytes)})
	tests := []struct {
		name      string
		body      string
		status    int
		code      string
		field     string
		extraHead string
	}{
		{"not json", `{"title":`, 400, "invalid_json", "", ""},
		{"unknown field", `{"title":"t","text":"x","colour":"red"}`, 400, "invalid_json", "", ""},
		{"wrong type", `{"title":1,"text":"x"}`, 400, "invalid_json", "", ""},
		{"two values", `{"title":"t","text":"x"}{"title":"u","text":"y"}`, 400, "invalid_json", "", ""},
		{"empty text", `{"title":"t","text":"  "}`, 400, "invalid", "text", ""},
		{"long title", `{"title":"` + strings.Repeat("t", 201) + `","text":"x"}`, 400, "invalid", "title", ""},
		{"bad format", `{"title":"t","text":"x","format":"pdf"}`, 400, "invalid", "format", ""},
		{"bad lang", `{"title":"t","text":"x","lang":"xx"}`, 400, "invalid", "lang", ""},
		{"malformed faq", `{"title":"t","text":"q,a\nq2,a2,a3","format":"faq"}`, 400, "invalid", "text", ""},
		{"too large", string(huge), 413, "too_large", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, h, "POST", "/api/v1/knowledge/documents", tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			var e apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("error body not JSON: %v: %s", err, rec.Body)
			}
			if e.Error.Code != tt.code || e.Error.Field != tt.field || e.Error.Message == "" {
				t.Fatalf("error = %+v, want code %q field %q", e.Error, tt.code, tt.field)
			}
		})
	}
	t.Run("nothing stored after rejections", func(t *testing.T) {
		rec := do(t, h, "GET", "/api/v1/knowledge/documents", "")
		if !strings.Contains(rec.Body.String(), `"documents":[]`) {
			t.Fatalf("list: %s", rec.Body)
		}
	})
	t.Run("wrong content type", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/api/v1/knowledge/documents", bytes.NewReader([]byte("title=t")))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d", rec.Code)
		}
	})
	t.Run("wrong method", func(t *testing.T) {
		if rec := do(t, h, "PUT", "/api/v1/knowledge/documents", ""); rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("status %d", rec.Code)
		}
	})
}
