package jepsen

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echo serves a line echo on loopback until the test ends.
func echo(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line through addr and reports whether it came back.
func roundTrip(c net.Conn) bool {
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "ping\n"
}

func TestProxyCutResetsConnectionsUntilHealed(t *testing.T) {
	p, err := newProxy(Link{1, 2}, "127.0.0.1", echo(t))
	require.NoError(t, err)
	defer p.close()
	n := &Net{proxies: map[Link]*proxy{{1, 2}: p}}

	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	require.True(t, roundTrip(c), "a healthy link forwards")

	require.NoError(t, n.Cut([]Link{{1, 2}}))
	assert.False(t, roundTrip(c), "a cut resets the connection in flight")
	c2, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c2.Close()
	assert.False(t, roundTrip(c2), "and every new one")
	assert.Eventually(t, func() bool { return n.Refused() >= 1 }, time.Second, 10*time.Millisecond)

	n.Heal()
	c3, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c3.Close()
	assert.True(t, roundTrip(c3), "a healed link forwards again")

	assert.ErrorIs(t, n.Cut([]Link{{2, 1}}), errUnknownLink)
}
