package bugzilla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// Backfill paging: pageSize bugs a request, at most maxPages requests a call.
const (
	pageSize = 500
	maxPages = 100
)

// fixedFields are the bug fields FixedBugs asks for. cf_last_resolved is
// BMO's record of when a bug was last resolved; other Bugzillas lack it.
const fixedFields = "id,summary,status,resolution,product,component,assigned_to,assigned_to_detail,groups,last_change_time,cf_last_resolved"

// Client reads the Bugzilla REST API. The API key travels in the
// X-BUGZILLA-API-KEY header, never in a URL, and is never logged.
type Client struct {
	n        *Normalizer
	apiKey   string
	http     *http.Client
	now      func() time.Time
	pageSize int
}

// UnavailableError reports that Bugzilla refused a request for a rate limit
// (429) or failed (5xx). Nothing is retried: the caller tries again later,
// not before RetryAfter when that is set.
type UnavailableError struct {
	StatusCode int
	RetryAfter time.Time // zero when the server named no time
}

// Error implements error.
func (e *UnavailableError) Error() string {
	if e.RetryAfter.IsZero() {
		return fmt.Sprintf("bugzilla: server unavailable (HTTP %d); try again later", e.StatusCode)
	}
	return fmt.Sprintf("bugzilla: server unavailable (HTTP %d); try again after %s", e.StatusCode, e.RetryAfter.UTC().Format(time.RFC3339))
}

// NewClient returns a client for the Bugzilla at baseURL (e.g.
// https://bugzilla.mozilla.org). apiKey may be empty for anonymous reads,
// which see no private bugs and, on BMO, no assignee e-mail addresses.
// httpClient nil means a client with a 30 s timeout.
func NewClient(baseURL, apiKey string, httpClient *http.Client) (*Client, error) {
	n, err := NewNormalizer(baseURL)
	if err != nil {
		return nil, err
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{n: n, apiKey: apiKey, http: httpClient, now: time.Now, pageSize: pageSize}, nil
}

// restBug is a bug as GET /rest/bug returns it with fixedFields.
type restBug struct {
	ID               int64    `json:"id"`
	Summary          string   `json:"summary"`
	Status           string   `json:"status"`
	Resolution       string   `json:"resolution"`
	Product          string   `json:"product"`
	Component        string   `json:"component"`
	AssignedTo       user     `json:"assigned_to"`
	AssignedToDetail user     `json:"assigned_to_detail"`
	Groups           []string `json:"groups"`
	LastChangeTime   string   `json:"last_change_time"`
	LastResolved     *string  `json:"cf_last_resolved"`
}

// FixedBugs returns an EventBugFixed, credited to the assignee, for every
// bug of product resolved FIXED and changed at or after since, in the same
// shape (and with the same Key) as the webhook's. Bugs in a security group
// are Private and carry no Title. It pages with limit and offset, at most
// 100 pages of 500; a 429 or 5xx ends the call with an *UnavailableError
// and the events read so far.
func (c *Client) FixedBugs(ctx context.Context, product string, since time.Time) ([]bot.Event, error) {
	if strings.TrimSpace(product) == "" {
		return nil, bot.Errorf(bot.EINVALID, "bugzilla: fixed bugs: no product named")
	}
	var (
		events []bot.Event
		errs   []error
	)
	for page := range maxPages {
		q := url.Values{
			"product":          {product},
			"resolution":       {"FIXED"},
			"last_change_time": {since.UTC().Format("2006-01-02T15:04:05Z")},
			"include_fields":   {fixedFields},
			"order":            {"bug_id"},
			"limit":            {strconv.Itoa(c.pageSize)},
			"offset":           {strconv.Itoa(page * c.pageSize)},
		}
		var res struct {
			Bugs []restBug `json:"bugs"`
		}
		if err := c.get(ctx, "/rest/bug?"+q.Encode(), &res); err != nil {
			return events, errors.Join(append(errs, fmt.Errorf("bugzilla: fixed bugs of %s: %w", product, err))...)
		}
		for _, b := range res.Bugs {
			e, ok, err := c.fixedEvent(b)
			if err != nil {
				errs = append(errs, fmt.Errorf("bugzilla: bug %d: %w", b.ID, err))
			}
			if ok {
				events = append(events, e)
			}
		}
		if len(res.Bugs) < c.pageSize {
			return events, errors.Join(errs...)
		}
	}
	return events, errors.Join(append(errs, fmt.Errorf("bugzilla: fixed bugs of %s: stopped after %d pages; call again with a later since", product, maxPages))...)
}

func (c *Client) fixedEvent(b restBug) (bot.Event, bool, error) {
	if b.Resolution != "FIXED" || b.ID <= 0 {
		return bot.Event{}, false, nil
	}
	who := first(b.AssignedToDetail, b.AssignedTo)
	actor, ok, err := recipient(who, "assigned_to")
	if err != nil || !ok {
		return bot.Event{}, false, err
	}
	at := b.LastChangeTime
	if b.LastResolved != nil && *b.LastResolved != "" {
		at = *b.LastResolved
	}
	when, err := parseTime(at)
	if err != nil {
		return bot.Event{}, false, err
	}
	e := c.n.bugEvent(b.ID, bot.EventBugFixed, actor, who.RealName, b.Product, b.Component, b.Summary, len(b.Groups) > 0, when)
	e.Key = "bugzilla:" + strconv.FormatInt(b.ID, 10) + ":fixed"
	e.ReceivedAt = c.now().UTC()
	return e, true, nil
}

// get fetches base+path into v.
func (c *Client) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.n.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if c.apiKey != "" {
		req.Header.Set("X-BUGZILLA-API-KEY", c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading the response: %w", err)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return &UnavailableError{StatusCode: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now())}
	}
	// Bugzilla reports errors as {"error": true, "code": N, "message": "..."},
	// with a 4xx status or, from some methods, with 200.
	var fault struct {
		Error   bool   `json:"error"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &fault)
	if fault.Error || resp.StatusCode != http.StatusOK {
		msg := fault.Message
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		return fmt.Errorf("HTTP %d, Bugzilla error %d: %s", resp.StatusCode, fault.Code, truncate(msg, 200))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding the response: %w", err)
	}
	return nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Time {
	if h == "" {
		return time.Time{}
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return now.Add(time.Duration(s) * time.Second)
	}
	if t, err := http.ParseTime(h); err == nil {
		return t
	}
	return time.Time{}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
