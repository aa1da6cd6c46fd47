package bot

import (
	"fmt"

	"github.com/robfig/cron/v3"
)

// ParseSchedule checks a cron spec: five fields, a descriptor such as
// @hourly, or @every DURATION, optionally prefixed with CRON_TZ=Zone.
func ParseSchedule(spec string) error {
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("bad cron spec %q: %v", spec, err)
	}
	return nil
}
