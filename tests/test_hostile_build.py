"""One real book built with every hostile name at once (issue #12); see BUILD_CHECKS."""

BUILD_CHECKS: list[str] = []
