"""The school's reports: the monthly attendance sheet, the progress statement and a student's report card."""
