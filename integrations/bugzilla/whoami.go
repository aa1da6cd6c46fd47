package bugzilla

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// WhoAmI returns the account the API key belongs to (GET /rest/whoami),
// by nick or id: never the e-mail address that is its login name.
func (c *Client) WhoAmI(ctx context.Context) (string, error) {
	if c.apiKey == "" {
		return "", errors.New("bugzilla: api_key is empty")
	}
	var who struct {
		ID   int64  `json:"id"`
		Nick string `json:"nick"`
	}
	if err := c.get(ctx, "/rest/whoami", &who); err != nil {
		return "", fmt.Errorf("bugzilla: whoami: %w", err)
	}
	if who.ID == 0 {
		return "", errors.New("bugzilla: whoami: the answer names no account")
	}
	if who.Nick != "" {
		return who.Nick, nil
	}
	return "user " + strconv.FormatInt(who.ID, 10), nil
}
