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
// call, the error says which action the caller lacks; when assuming the execution role failed, it
// says that instead.
func apiError(action string, err error) error {
	// Credentials of an execution role are refreshed inside whatever call needs them: a failure
	// there is the role's, not the call's permission.
	var re *assumeRoleError
	if errors.As(err, &re) {
		return fmt.Errorf("%s: %w", action, re)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && accessDeniedCodes[ae.ErrorCode()] {
		// Both wrapped: callers branch on ErrAccessDenied and may still read the API error code.
		return fmt.Errorf("%s: %w: the caller needs IAM permission %s, or an SCP or permissions boundary denies it (%w)", action, ErrAccessDenied, action, err)
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

// assumeRoleError is a failure to assume (or refresh) the execution role roleARN.
type assumeRoleError struct {
	roleARN string
	err     error
}

func (e *assumeRoleError) Error() string {
	return fmt.Sprintf("assume execution role %s (rule parameter executionRoleName): check that the role exists in the evaluated account and trusts this function's role: %v",
		e.roleARN, e.Unwrap())
}

// Unwrap returns the STS error as apiError names it, so ErrAccessDenied and the API error code
// stay in the chain.
func (e *assumeRoleError) Unwrap() error { return apiError(actionAssumeRole, e.err) }
