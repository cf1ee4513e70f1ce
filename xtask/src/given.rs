//! Given code inside the files a learner edits.
//!
//! Some edited files also hold code the learner must not change: the slow version a
//! speedup is measured against, an instrument the tests watch with (`is_in_use`), a
//! helper. Each such item's doc comment starts with "Given". A learner who changed
//! one (a baseline made slower, an instrument that always says yes) would be graded
//! against other rules than the course's, so `shipped.toml` keeps a hash of each
//! given item as shipped, and `check` reports a changed one as "modified", like a
//! changed test. The hash is over the item's tokens without its doc comments:
//! formatting and comments may change, the code may not.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The given items of a Rust source file, by name (`fn score`, `fn Kitchen::is_in_use`,
/// `struct Station`), each with the hash of its code. `None` when the file does not
/// parse (the compiler will say why).
pub fn items(source: &str) -> Option<BTreeMap<String, String>> {
    let file = syn::parse_file(source).ok()?;
    let mut found = BTreeMap::new();
    for item in &file.items {
        if let syn::Item::Impl(block) = item {
            let owner = quote::ToTokens::to_token_stream(&block.self_ty).to_string();
            let owner = owner.replace(' ', "");
            if is_given(&block.attrs) {
                let name = match &block.trait_ {
                    Some((_, path, _)) => {
                        let t = quote::ToTokens::to_token_stream(path).to_string();
                        format!("impl {} for {owner}", t.replace(' ', ""))
                    }
                    None => format!("impl {owner}"),
                };
                found.insert(name, hash(item));
                continue;
            }
            for inner in &block.items {
                if let syn::ImplItem::Fn(method) = inner
                    && is_given(&method.attrs)
                {
                    found.insert(format!("fn {owner}::{}", method.sig.ident), hash(inner));
                }
            }
            continue;
        }
        if let Some((kind, name, attrs)) = named(item)
            && is_given(attrs)
        {
            found.insert(format!("{kind} {name}"), hash(item));
        }
    }
    Some(found)
}

/// The given items of `pristine` (a file as shipped) that `theirs` (the same file as a
/// learner or student left it) changed or removed, as `given `fn score` changed`.
/// Nothing when either does not parse.
pub fn changed(pristine: &str, theirs: &str) -> Vec<String> {
    match items(pristine) {
        Some(ours) => differences(&ours, items(theirs).as_ref()),
        None => Vec::new(),
    }
}

/// The items of `expected` (given items and their fingerprints, from [`items`]) that
/// `now` (the same file's items as it is now) changed or removed, as `given `fn score`
/// changed`. Nothing when the file does not parse (`now` is `None`): that is a compile
/// error, which the compiler explains, not a change to judge. `check` (against the
/// fingerprints shipped with the course) and `grade` (against the pristine file) both
/// judge through here.
pub fn differences(
    expected: &BTreeMap<String, String>,
    now: Option<&BTreeMap<String, String>>,
) -> Vec<String> {
    let Some(now) = now else {
        return Vec::new();
    };
    expected
        .iter()
        .filter_map(|(name, hash)| match now.get(name) {
            None => Some(format!("given `{name}` removed")),
            Some(h) if h != hash => Some(format!("given `{name}` changed")),
            Some(_) => None,
        })
        .collect()
}

/// The kind, name and attributes of an item that has a name.
fn named(item: &syn::Item) -> Option<(&'static str, String, &[syn::Attribute])> {
    use syn::Item;
    Some(match item {
        Item::Fn(i) => ("fn", i.sig.ident.to_string(), &i.attrs),
        Item::Struct(i) => ("struct", i.ident.to_string(), &i.attrs),
        Item::Enum(i) => ("enum", i.ident.to_string(), &i.attrs),
        Item::Const(i) => ("const", i.ident.to_string(), &i.attrs),
        Item::Static(i) => ("static", i.ident.to_string(), &i.attrs),
        Item::Type(i) => ("type", i.ident.to_string(), &i.attrs),
        Item::Trait(i) => ("trait", i.ident.to_string(), &i.attrs),
        Item::Mod(i) => ("mod", i.ident.to_string(), &i.attrs),
        _ => return None,
    })
}

/// Whether the item's doc comment starts with "Given".
fn is_given(attrs: &[syn::Attribute]) -> bool {
    let first_doc = attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    });
    first_doc.is_some_and(|d| d.trim_start().starts_with("Given"))
}

/// SHA-256 of the item's tokens, doc comments left out (the code, not its wording).
fn hash(item: &impl quote::ToTokens) -> String {
    let mut code = String::new();
    without_docs(quote::ToTokens::to_token_stream(item), &mut code);
    let digest = Sha256::digest(code.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The tokens as text, one space apart, without `#[doc = ...]` attributes (which is
/// what doc comments are) at any depth.
fn without_docs(tokens: proc_macro2::TokenStream, out: &mut String) {
    use proc_macro2::{Delimiter, TokenTree};
    let is_doc = |tree: Option<&TokenTree>| {
        matches!(tree, Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket
            && matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(i)) if i == "doc"))
    };
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < trees.len() {
        if let TokenTree::Punct(p) = &trees[i]
            && p.as_char() == '#'
        {
            // `#[doc = ..]`, or `#![doc = ..]` inside an item.
            if is_doc(trees.get(i + 1)) {
                i += 2;
                continue;
            }
            if matches!(trees.get(i + 1), Some(TokenTree::Punct(b)) if b.as_char() == '!')
                && is_doc(trees.get(i + 2))
            {
                i += 3;
                continue;
            }
        }
        match &trees[i] {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                out.push(' ');
                without_docs(g.stream(), out);
                out.push_str(close);
            }
            other => out.push_str(&other.to_string()),
        }
        out.push(' ');
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = r#"
/// Given: the baseline.
pub fn slow(n: u64) -> u64 {
    (0..n).sum()
}

/// Yours.
pub fn fast(n: u64) -> u64 {
    todo!()
}

pub struct Kitchen;

impl Kitchen {
    /// Given: an instrument.
    pub fn is_in_use(&self) -> bool {
        false
    }
    /// Yours.
    pub fn use_two(&self) {}
}
"#;

    #[test]
    fn finds_the_given_items_by_name() {
        let found = items(SHIPPED).unwrap();
        let names: Vec<&str> = found.keys().map(String::as_str).collect();
        assert_eq!(names, ["fn Kitchen::is_in_use", "fn slow"]);
    }

    #[test]
    fn formatting_comments_and_the_learners_code_do_not_count_the_given_code_does() {
        let shipped = items(SHIPPED).unwrap();
        let solved = SHIPPED
            .replace("todo!()", "n * (n - 1) / 2")
            .replace(
                "/// Given: the baseline.",
                "/// Given: the baseline, reworded.\n// a note",
            )
            .replace("(0..n).sum()", "(0..n)\n        .sum()");
        assert_eq!(items(&solved).unwrap(), shipped);
        let cheated = SHIPPED.replace("(0..n).sum()", "0");
        assert_ne!(items(&cheated).unwrap()["fn slow"], shipped["fn slow"]);
        let instrument = SHIPPED.replace("        false", "        true");
        assert_ne!(
            items(&instrument).unwrap()["fn Kitchen::is_in_use"],
            shipped["fn Kitchen::is_in_use"]
        );
        assert!(items("fn broken(").is_none());
    }
}
