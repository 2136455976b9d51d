package embed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// OpenAIConfig configures an OpenAI-compatible embeddings client.
type OpenAIConfig struct {
	// BaseURL is the API root, e.g. "https://api.openai.com/v1" or a
	// compatible server ("https://dashscope.aliyuncs.com/compatible-mode/v1").
	// Empty means OpenAI.
	BaseURL string
	// APIKey is sent as a bearer token.
	APIKey string
	// Model is the embedding model, e.g. "text-embedding-3-small".
	Model string
	// Dim is the vector length the store expects. When the model can
	// shorten its vectors, Dim is asked for; every returned vector must
	// have exactly this length.
	Dim int
	// Timeout bounds one HTTP request (default 30s).
	Timeout time.Duration
	// BatchSize is the most texts sent in one request (default 64).
	BatchSize int
}

// OpenAI embeds texts through an OpenAI-compatible /embeddings endpoint.
// It is safe for concurrent use.
type OpenAI struct {
	client    *openai.Client
	model     string
	dim       int
	batchSize int
	timeout   time.Duration
}

// NewOpenAI returns a client for cfg. It does not contact the server.
func NewOpenAI(cfg OpenAIConfig) *OpenAI {
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 64
	}
	if cfg.Model == "" {
		cfg.Model = string(openai.SmallEmbedding3)
	}
	// The per-request timeout is applied through the context, so the
	// HTTP client needs none of its own.
	oc.HTTPClient = &http.Client{}
	return &OpenAI{
		client:    openai.NewClientWithConfig(oc),
		model:     cfg.Model,
		dim:       cfg.Dim,
		batchSize: cfg.BatchSize,
		timeout:   cfg.Timeout,
	}
}

// Dim returns the configured vector length (0 when not configured, in which
// case vectors are returned at the model's native length).
func (o *OpenAI) Dim() int { return o.dim }

// Embed returns one unit vector per text, in order, sending at most
// BatchSize texts per request.
func (o *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += o.batchSize {
		end := min(start+o.batchSize, len(texts))
		vecs, err := o.embedBatch(ctx, texts[start:end])
		if err != nil {
			return nil, fmt.Errorf("embed: openai: texts %d-%d: %w", start, end-1, err)
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (o *OpenAI) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req := openai.EmbeddingRequestStrings{
		Input:          texts,
		Model:          openai.EmbeddingModel(o.model),
		EncodingFormat: openai.EmbeddingEncodingFormatFloat,
	}
	if o.dim > 0 && supportsDimensions(o.model) {
		req.Dimensions = o.dim
	}
	resp, err := o.client.CreateEmbeddings(ctx, req)
	if err != nil {
		return nil, describeAPIError(err)
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("model %q returned %d embeddings for %d texts", o.model, len(resp.Data), len(texts))
	}
	vecs := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(texts) || vecs[d.Index] != nil {
			return nil, fmt.Errorf("model %q returned a bad or repeated index %d", o.model, d.Index)
		}
		if o.dim > 0 && len(d.Embedding) != o.dim {
			return nil, fmt.Errorf("model %q returned vectors of length %d, but the store is configured for %d; set the embedding dim to %d or choose a model that supports dimensions=%d",
				o.model, len(d.Embedding), o.dim, len(d.Embedding), o.dim)
		}
		normalize(d.Embedding)
		vecs[d.Index] = d.Embedding
	}
	return vecs, nil
}

// supportsDimensions reports whether model is known to accept the
// "dimensions" parameter. Older models (text-embedding-ada-002) and many
// self-hosted ones reject it, so it is only sent to models known to take it;
// for the rest the returned length is checked instead.
func supportsDimensions(model string) bool {
	m := strings.ToLower(model)
	for _, p := range []string{
		"text-embedding-3",  // OpenAI
		"text-embedding-v3", // DashScope (Qwen) compatible mode
		"text-embedding-v4",
		"embedding-3", // Zhipu
	} {
		if strings.HasPrefix(m, p) || strings.Contains(m, "/"+p) {
			return true
		}
	}
	return false
}

// describeAPIError puts the HTTP status first, so a log line says at once
// whether the key (401), the model (404) or the quota (429) is at fault.
func describeAPIError(err error) error {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) && apiErr.HTTPStatusCode > 0 {
		return fmt.Errorf("HTTP %d %s: %w", apiErr.HTTPStatusCode, http.StatusText(apiErr.HTTPStatusCode), err)
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) && reqErr.HTTPStatusCode > 0 {
		return fmt.Errorf("HTTP %d %s: %w", reqErr.HTTPStatusCode, http.StatusText(reqErr.HTTPStatusCode), err)
	}
	return err
}
