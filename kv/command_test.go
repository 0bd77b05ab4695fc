package kv

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func withSession(c Command) Command {
	c.Client, c.Seq = 7, 300
	return c
}

func TestEveryCommandRoundTripsThroughItsEncoding(t *testing.T) {
	for _, c := range []Command{
		Get("k"), Put("k", "v"), Put("k", ""), Append("k", "tail"),
		CAS("k", "old", "new"), CAS("k", "", ""), Delete("k"),
		Put(strings.Repeat("k", KeyBytesMax), strings.Repeat("v", ValueBytesMax)),
	} {
		c = withSession(c)
		got, err := DecodeCommand(c.Encode())
		require.NoError(t, err, "%s", c)
		assert.Equal(t, c, got)
	}
}

func TestCommandAtTheSizeLimitsIsValidAndOneByteMoreIsNot(t *testing.T) {
	key, value := strings.Repeat("k", KeyBytesMax), strings.Repeat("v", ValueBytesMax)
	assert.NoError(t, withSession(Put(key, value)).Validate())
	assert.NoError(t, withSession(CAS(key, value, value)).Validate())
	for name, c := range map[string]Command{
		"key":      Put(key+"k", "v"),
		"value":    Put("k", value+"v"),
		"expected": CAS("k", value+"v", ""),
	} {
		err := withSession(c).Validate()
		assert.ErrorIs(t, err, ErrInvalidCommand, name)
	}
	// Decoding enforces the limit too, on bytes Encode would not write.
	var w writer
	w.byte(commandVersion)
	w.byte(byte(OpGet))
	w.uvarint(1)
	w.uvarint(1)
	w.string(key + "k")
	w.string("")
	w.string("")
	_, err := DecodeCommand(w.buf)
	assert.ErrorIs(t, err, ErrInvalidCommand)
	assert.Contains(t, err.Error(), "limit")
}

func TestMalformedCommandIsRefusedWithAClearError(t *testing.T) {
	good := withSession(Put("k", "v")).Encode()
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"empty", "truncated", nil},
		{"wrong version", "version", append([]byte{9}, good[1:]...)},
		{"truncated", "truncated", good[:len(good)-1]},
		{"trailing byte", "trailing", append(append([]byte{}, good...), 0)},
		{"unknown op", "unknown op", append([]byte{commandVersion, 42}, good[2:]...)},
		{"no session", "client and seq", encodeRaw(OpGet, "k", "", "", 0)},
		{"value on a get", "carries a value", encodeRaw(OpGet, "k", "v", "", 1)},
		{"expected on a put", "expected value", encodeRaw(OpPut, "k", "v", "x", 1)},
		{"padded uvarint", "padded", []byte{commandVersion, byte(OpGet), 0x81, 0x00, 1, 1, 'k', 0, 0}},
		{"empty key", "empty key", encodeRaw(OpGet, "", "", "", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCommand(tc.data)
			require.ErrorIs(t, err, ErrInvalidCommand)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// encodeRaw encodes a command without validating it.
func encodeRaw(op Op, key, value, expected string, client uint64) []byte {
	var w writer
	w.byte(commandVersion)
	w.byte(byte(op))
	w.uvarint(client)
	w.uvarint(1)
	w.string(key)
	w.string(value)
	w.string(expected)
	return w.buf
}

func TestEncodingAnInvalidCommandIsABugAndPanics(t *testing.T) {
	assert.Panics(t, func() { Get("k").Encode() }, "no session")
}

func TestOpNamesAreTheModelsNames(t *testing.T) {
	assert.Equal(t, "get put append cas delete",
		strings.Join([]string{OpGet.String(), OpPut.String(), OpAppend.String(), OpCAS.String(), OpDelete.String()}, " "))
	assert.Equal(t, "Op(9)", Op(9).String())
}
