//! mock-idp: a mock Auth0 tenant.
