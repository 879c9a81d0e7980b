-- The currencies aigw ships (ISO 4217 codes and their minor units).

INSERT INTO aigw.currencies (code, minor_units, name, origin) VALUES
	('USD', 2, 'US dollar', 'shipped'),
	('CNY', 2, 'Chinese yuan renminbi', 'shipped'),
	('IDR', 0, 'Indonesian rupiah', 'shipped'),
	('EUR', 2, 'Euro', 'shipped'),
	('GBP', 2, 'Pound sterling', 'shipped'),
	('JPY', 0, 'Japanese yen', 'shipped'),
	('KRW', 0, 'South Korean won', 'shipped'),
	('SGD', 2, 'Singapore dollar', 'shipped'),
	('HKD', 2, 'Hong Kong dollar', 'shipped'),
	('INR', 2, 'Indian rupee', 'shipped'),
	('MYR', 2, 'Malaysian ringgit', 'shipped'),
	('THB', 2, 'Thai baht', 'shipped'),
	('VND', 0, 'Vietnamese dong', 'shipped'),
	('PHP', 2, 'Philippine peso', 'shipped'),
	('AUD', 2, 'Australian dollar', 'shipped'),
	('CAD', 2, 'Canadian dollar', 'shipped'),
	('CHF', 2, 'Swiss franc', 'shipped'),
	('BRL', 2, 'Brazilian real', 'shipped');
