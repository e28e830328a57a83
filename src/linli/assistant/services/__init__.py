"""Assistant services: answering a question (curated answer, LLM or the offline engine, always logged), residents'
feedback, staff reviews (curated answers, synonyms), the optional LLM backend and the cards of curated answers.
Every write is a function `<entity>_<verb>(*, ...)`."""
