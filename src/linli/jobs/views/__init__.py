"""Jobs pages: public job pages and the resident's (`public`), station workers', heads' and employers' (`staff`)."""
