package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// ErrAccessDenied is wrapped by errors from calls the function's role may not make.
var ErrAccessDenied = errors.New("access denied")

// accessDeniedCodes are the error codes AWS APIs answer when IAM denies a call: EC2 says
// UnauthorizedOperation, Config AccessDeniedException, STS AccessDenied.
var accessDeniedCodes = map[string]bool{
	"UnauthorizedOperation": true,
	"AccessDenied":          true,
	"AccessDeniedException": true,
}

// apiError wraps an error from the call that needs the IAM action action. When IAM denied the
// call, the error says which action the role lacks.
func apiError(action string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) && accessDeniedCodes[ae.ErrorCode()] {
		// Both wrapped: callers branch on ErrAccessDenied and may still read the API error code.
		return fmt.Errorf("%s: %w: the function's role needs IAM permission %s (%w)", action, ErrAccessDenied, action, err)
	}
	return fmt.Errorf("%s: %w", action, err)
}

// isNotFound reports whether err is an EC2 "no such resource" answer (InvalidVpcID.NotFound,
// InvalidVpcEndpointId.NotFound, ...).
func isNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	return strings.HasSuffix(ae.ErrorCode(), ".NotFound")
}
