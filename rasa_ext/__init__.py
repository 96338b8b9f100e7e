"""Extensions the Rasa server loads by module path from endpoints.yml."""
