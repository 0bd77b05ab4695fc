package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseTLCConfig reads the CONSTANTS of a TLC model config (tla/MC*.cfg)
// into a Config, so that the Go checker runs exactly the model TLC runs.
// Server, InitServer and Value must be sets of model values (InitServer
// is taken to be the first servers of Server); the rest are numbers and
// booleans.
func ParseTLCConfig(text string) (Config, error) {
	var c Config
	seen := map[string]bool{}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.Split(line, `\*`)[0])
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		name, value = strings.TrimSpace(strings.TrimPrefix(name, "CONSTANTS")), strings.TrimSpace(value)
		if err := c.setConstant(name, value); err != nil {
			return c, fmt.Errorf("line %d: %w", n+1, err)
		}
		seen[name] = true
	}
	for _, name := range []string{"Server", "Value", "MaxTerm", "MaxLogLen", "MaxMessages",
		"PreVoteEnabled", "CheckQuorumEnabled", "SnapshotEnabled", "TransferEnabled",
		"ReadsEnabled", "ElectionTimeout", "MaxClockDrift", "LeaseDriftBound", "MaxTime", "MaxReads",
		"InitServer", "MembershipEnabled"} {
		if !seen[name] {
			return c, fmt.Errorf("constant %s is not set", name)
		}
	}
	if c.InitServers == c.Servers {
		c.InitServers = 0 // every server, as in DefaultConfig
	}
	return c, c.Validate()
}

func (c *Config) setConstant(name, value string) error {
	set := func() (int, error) {
		if !strings.HasPrefix(value, "{") || !strings.HasSuffix(value, "}") {
			return 0, fmt.Errorf("%s must be a set of model values, got %q", name, value)
		}
		inner := strings.TrimSpace(value[1 : len(value)-1])
		if inner == "" {
			return 0, nil
		}
		return len(strings.Split(inner, ",")), nil
	}
	num := func(dst *int) error {
		v, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		*dst = v
		return nil
	}
	boolean := func(dst *bool) error {
		switch value {
		case "TRUE":
			*dst = true
		case "FALSE":
			*dst = false
		default:
			return fmt.Errorf("%s must be TRUE or FALSE, got %q", name, value)
		}
		return nil
	}
	var err error
	switch name {
	case "Server":
		c.Servers, err = set()
	case "Value":
		c.Values, err = set()
	case "InitServer":
		// The Go model takes InitServer to be s1..sk, the first k servers.
		c.InitServers, err = set()
	case "MembershipEnabled":
		err = boolean(&c.Membership)
	case "Nil":
	case "MaxTerm":
		err = num(&c.MaxTerm)
	case "MaxLogLen":
		err = num(&c.MaxLogLen)
	case "MaxMessages":
		err = num(&c.MaxMessages)
	case "PreVoteEnabled":
		err = boolean(&c.PreVote)
	case "CheckQuorumEnabled":
		err = boolean(&c.CheckQuorum)
	case "SnapshotEnabled":
		err = boolean(&c.Snapshot)
	case "TransferEnabled":
		err = boolean(&c.Transfer)
	case "ReadsEnabled":
		err = boolean(&c.Reads)
	case "ElectionTimeout":
		err = num(&c.ElectionTimeout)
	case "MaxClockDrift":
		err = num(&c.MaxClockDrift)
	case "LeaseDriftBound":
		err = num(&c.LeaseDriftBound)
	case "MaxTime":
		err = num(&c.MaxTime)
	case "MaxReads":
		err = num(&c.MaxReads)
	default:
		err = fmt.Errorf("unknown constant %s", name)
	}
	return err
}
