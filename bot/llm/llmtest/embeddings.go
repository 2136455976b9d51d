package llmtest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"strings"
	"unicode"
)

// maxDim is the largest vector the fake will make (text-embedding-3-large).
const maxDim = 3072

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	s.record(r, body)
	if err != nil || len(body) > maxBody {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "could not read the request body")
		return
	}
	var req EmbeddingRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "We could not parse the JSON body of your request: "+err.Error())
		return
	}
	if req.Model == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "you must provide a model parameter")
		return
	}
	if !s.knowsModel(req.Model) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found",
			fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", req.Model))
		return
	}
	inputs, msg := parseInput(req.Input)
	if msg == "" && (req.Dimensions < 0 || req.Dimensions > maxDim) {
		msg = fmt.Sprintf("dimensions must be between 1 and %d", maxDim)
	}
	if msg == "" && req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		msg = "encoding_format must be 'float' or 'base64'"
	}
	if msg != "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", msg)
		return
	}
	dim := req.Dimensions
	if dim == 0 {
		dim = s.embedDim
	}
	out := embeddingList{Object: "list", Model: req.Model}
	for i, in := range inputs {
		v := Vector(in, dim)
		var emb any = v
		if req.EncodingFormat == "base64" {
			emb = encodeBase64(v)
		}
		out.Data = append(out.Data, embeddingItem{Object: "embedding", Index: i, Embedding: emb})
		out.Usage.PromptTokens += len(tokens(in))
	}
	out.Usage.TotalTokens = out.Usage.PromptTokens
	writeJSON(w, http.StatusOK, out)
}

// parseInput accepts the input shapes the API documents: a string, an array
// of strings, an array of token ids, or an array of token-id arrays (tokens
// are embedded by their decimal text).
func parseInput(raw json.RawMessage) ([]string, string) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, "'$.input' is invalid: it must not be empty"
		}
		return []string{one}, ""
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		if len(many) == 0 {
			return nil, "'$.input' is invalid: [] is too short"
		}
		for i, s := range many {
			if s == "" {
				return nil, fmt.Sprintf("'$.input[%d]' is invalid: it must not be empty", i)
			}
		}
		return many, ""
	}
	var ids []int
	if json.Unmarshal(raw, &ids) == nil && len(ids) > 0 {
		return []string{fmt.Sprint(ids)}, ""
	}
	var idLists [][]int
	if json.Unmarshal(raw, &idLists) == nil && len(idLists) > 0 {
		out := make([]string, len(idLists))
		for i, l := range idLists {
			out[i] = fmt.Sprint(l)
		}
		return out, ""
	}
	return nil, "'$.input' is invalid: expected a string, an array of strings or an array of token ids"
}

// Vector returns the fake's embedding of text: hashed word and character
// bigram features, unit length. It is deterministic, and texts sharing words
// get similar vectors, so retrieval tests behave sensibly.
func Vector(text string, dim int) []float32 {
	v := make([]float32, dim)
	add := func(feature string) {
		h := fnv.New64a()
		h.Write([]byte(feature))
		x := h.Sum64()
		sign := float32(1)
		if x&1 == 1 {
			sign = -1
		}
		v[(x>>1)%uint64(dim)] += sign
	}
	rs := []rune(strings.ToLower(text))
	for i := range rs {
		if i+1 < len(rs) && !unicode.IsSpace(rs[i]) && !unicode.IsSpace(rs[i+1]) {
			add(string(rs[i : i+2]))
		}
	}
	for _, w := range strings.Fields(strings.ToLower(text)) {
		add("w:" + w)
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		v[0] = 1
		return v
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i] *= inv
	}
	return v
}

func encodeBase64(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}
