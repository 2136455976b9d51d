package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets/widget.js assets/demo
var assetFS embed.FS

// asset is one embedded file ready to serve.
type asset struct {
	data  []byte
	etag  string
	ctype string
}

// assets are the widget and the demo shop, loaded once. ETags let browsers
// revalidate cheaply; max-age stays short because /widget.js has a fixed
// URL that every host page embeds, and a new release must reach them soon.
type assets struct {
	widget asset
	demo   map[string]asset // by path under /demo/, "" for the home page
}

const assetCacheControl = "public, max-age=300"

func loadAssets() (*assets, error) {
	a := &assets{demo: make(map[string]asset)}
	w, err := loadAsset("assets/widget.js")
	if err != nil {
		return nil, err
	}
	a.widget = w
	err = fs.WalkDir(assetFS, "assets/demo", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := loadAsset(p)
		if err != nil {
			return err
		}
		a.demo[strings.TrimPrefix(p, "assets/demo/")] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load demo assets: %w", err)
	}
	return a, nil
}

func loadAsset(p string) (asset, error) {
	data, err := assetFS.ReadFile(p)
	if err != nil {
		return asset{}, fmt.Errorf("load asset %s: %w", p, err)
	}
	sum := sha256.Sum256(data)
	ctype := mime.TypeByExtension(path.Ext(p))
	switch path.Ext(p) { // not every system's mime table knows these
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".html":
		ctype = "text/html; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return asset{data: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ctype}, nil
}

func serveAsset(w http.ResponseWriter, r *http.Request, a asset) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", assetCacheControl)
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

func (h *Handler) serveWidget(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, h.assets.widget)
}

func (h *Handler) serveDemo(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/demo/")
	if p == "" {
		p = "index.html"
	}
	a, ok := h.assets.demo[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	serveAsset(w, r, a)
}
