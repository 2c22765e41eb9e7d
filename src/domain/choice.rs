//! Closed sets of choices (kinds, periods, statuses...) spelled the same way everywhere:
//! in the database, on the command line, in JSON and in Discord option choices.

/// Declares a fieldless enum whose variants have fixed snake_case names, with `ALL`, `as_str`,
/// `Display`, `FromStr` (case-insensitive, `-` accepted for `_`, errors list the choices) and serde.
macro_rules! choice_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every choice, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable name used in storage, commands and JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The names of every choice, for help texts and errors.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::error::UserError;
            fn from_str(input: &str) -> Result<Self, Self::Err> {
                let wanted = input.trim().to_ascii_lowercase().replace(['-', ' '], "_");
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == wanted)
                    .ok_or_else(|| $crate::domain::error::UserError::UnknownChoice {
                        what: $what,
                        input: input.to_string(),
                        choices: Self::names(),
                    })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::names()))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use choice_enum;

#[cfg(test)]
mod tests {
    choice_enum! {
        enum Fruit as "fruit" {
            Apple = "apple",
            BloodOrange = "blood_orange",
        }
    }

    #[test]
    fn parses_leniently_and_lists_choices_on_error() {
        assert_eq!("APPLE".parse::<Fruit>().unwrap(), Fruit::Apple);
        assert_eq!("blood-orange".parse::<Fruit>().unwrap(), Fruit::BloodOrange);
        assert_eq!("blood orange".parse::<Fruit>().unwrap(), Fruit::BloodOrange);
        let error = "pear".parse::<Fruit>().unwrap_err();
        assert_eq!(error.to_string(), "`pear` is not a known fruit; choose one of: apple, blood_orange");
        assert_eq!(serde_json::to_string(&Fruit::BloodOrange).unwrap(), "\"blood_orange\"");
    }
}
