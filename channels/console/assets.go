package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assetFS embed.FS

type asset struct {
	data  []byte
	etag  string
	ctype string
}

type assets struct {
	index    asset
	insights asset
	files    map[string]asset // by path under assets/ ("console.js", "vendor/chart.umd.min.js")
}

func loadAssets() (*assets, error) {
	a := &assets{files: map[string]asset{}}
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ct := "application/octet-stream"
		switch path.Ext(p) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".html":
			ct = "text/html; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		case ".md", ".txt":
			ct = "text/plain; charset=utf-8"
		}
		f := asset{data: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ct}
		switch rel := strings.TrimPrefix(p, "assets/"); rel {
		case "index.html":
			a.index = f
		case "insights.html":
			a.insights = f
		default:
			a.files[rel] = f
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load console assets: %w", err)
	}
	return a, nil
}

// securityHeaders keep the console's pages to their own scripts and out of
// other sites' frames.
func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
}

func serve(w http.ResponseWriter, r *http.Request, a asset) {
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

func (c *Console) serveIndex(w http.ResponseWriter, r *http.Request) {
	serve(w, r, c.assets.index)
}

func (c *Console) serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := c.assets.files[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	serve(w, r, a)
}

// serveVendor serves the third-party files under assets/vendor/ (each kept
// beside its licence).
func (c *Console) serveVendor(w http.ResponseWriter, r *http.Request) {
	a, ok := c.assets.files["vendor/"+r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	serve(w, r, a)
}
