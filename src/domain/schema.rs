//! JSON Schemas of the values whose JSON is written by hand (their `Serialize`), for the API's
//! OpenAPI document: each is declared beside its `Serialize` with [`by_hand!`]. Views derive
//! `utoipa::ToSchema` next to `Serialize`, so a view's schema follows its fields.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};

/// A string with `description` and an example.
pub fn string(description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .examples([serde_json::json!(example)])
        .into()
}

/// An exact decimal number written as a string (`"12.50"`): never a JSON number, which readers
/// would take as a float.
pub fn decimal(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("decimal".into())))
        .pattern(Some(r"^-?[0-9]+(\.[0-9]+)?$"))
        .description(Some(description))
        .examples([serde_json::json!("12.50")])
        .into()
}

/// An amount and its currency: `{"amount": "12.50", "currency": "USD"}`.
pub fn money(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property("amount", decimal("The amount, a decimal string."))
        .property("currency", string("ISO 4217 code.", "USD"))
        .required("amount")
        .required("currency")
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
        .into()
}

/// A list of whole numbers.
pub fn whole_numbers(description: &str) -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .minimum(Some(0)),
        )
        .description(Some(description))
        .into()
}

/// `by_hand!(Type, schema)`: `Type`'s JSON Schema, for a type whose `Serialize` is written by hand.
macro_rules! by_hand {
    ($type:ty, $schema:expr) => {
        impl utoipa::PartialSchema for $type {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $schema
            }
        }
        impl utoipa::ToSchema for $type {}
    };
}
pub(crate) use by_hand;
