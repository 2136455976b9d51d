// Package browsertest starts headless Chromium for tests that drive the
// widget, the demo shop or the console in a real browser.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// New starts a fresh headless Chromium (own profile, no network chatter) and
// returns a context for chromedp.Run that ends with the test. Without
// Chromium the test is skipped, except under CI=true, where a missing or
// broken browser fails the test: CI must never skip silently.
//
// KAIROS_TEST_CHROMIUM names the browser binary; by default the first of
// chromium, chromium-browser and google-chrome on PATH.
func New(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := os.Getenv("KAIROS_TEST_CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		missing(t, "no Chromium found (install Debian's chromium, e.g. make test-deps)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		// The machine has no network: keep Chromium from trying.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`true`)); err != nil {
		missing(t, "Chromium at "+path+" would not start: "+err.Error())
	}
	return ctx
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true: " + why)
	}
	t.Skip(why)
}

// WaitFor evaluates the JavaScript expression expr until it returns true or
// the context ends, then fails the test with what it was waiting for.
func WaitFor(ctx context.Context, t testing.TB, what, expr string) {
	t.Helper()
	for {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("browser: timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// SetLanguage makes pages opened afterwards see lang as the browser's
// language (navigator.language and navigator.languages), as a visitor with
// that browser setting would.
func SetLanguage(ctx context.Context, t testing.TB, lang string) {
	t.Helper()
	src := fmt.Sprintf(`Object.defineProperty(navigator, "language", {get: () => %q}); Object.defineProperty(navigator, "languages", {get: () => [%q]});`, lang, lang)
	set := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return chromedp.Void{}, err
	}
	if _, err := chromedp.Run(ctx, set); err != nil {
		t.Fatalf("browser: set language %s: %v", lang, err)
	}
}
