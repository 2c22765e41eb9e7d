//! The network behind AI provider cost connections: OpenAI's and Anthropic's organisation cost
//! and usage APIs, read into `domain::connection` values. No SQL, no serenity, no axum.
