//! The model server.
