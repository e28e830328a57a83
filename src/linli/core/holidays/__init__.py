"""China's public holidays and adjusted working days (调休) as a table staff can edit and load from the State
Council's notice; street-level extra closures. `calendar` answers "is this a working day" for every domain;
`services` seeds the table from chinese-calendar and imports a notice file (iCalendar or CSV)."""
