// Error answers of meerkat's client API, read as their texts.
//
// Every error body of the API is a JSON string holding one sentence ("Room not found").
// The generated client returns an error answer as *GenericOpenAPIError, but hands a body
// of type string over undecoded: its Model() and Body() are the JSON, quotes included.
// This file is hand-written and copied into the generated package by `make sdk` (as
// errors.go):
//
//	_, response, err := client.RoomsAPI.GetRoom(ctx, "nosuchroom").Execute()
//	if text, ok := meerkat.ErrorText(err); ok {
//		fmt.Println(response.StatusCode, text) // 404 Room not found
//	}

package meerkat

import (
	"encoding/json"
	"errors"
)

// ErrorText is the text of the error answer err; ok is false when err is no error
// answer of the server (a connection failure, say). A body that is not a JSON string
// is given as it is.
func ErrorText(err error) (text string, ok bool) {
	var answer *GenericOpenAPIError
	if !errors.As(err, &answer) {
		return "", false
	}
	if json.Unmarshal(answer.Body(), &text) != nil {
		return string(answer.Body()), true
	}
	return text, true
}
