<?php
// Test backend for the integration suite: answers $_SERVER as a JSON
// object, plus the length and SHA-256 of the request body, so that a test
// can compare what PHP-FPM believes with what the client sent.
// ?sleep=S holds the child S seconds first (a slow page).
if (isset($_GET['sleep']))
	usleep((int)(floatval($_GET['sleep']) * 1000000));
$body = fopen('php://input', 'rb');
$ctx = hash_init('sha256');
$len = 0;
while ($body !== false && !feof($body)) {
	$chunk = fread($body, 65536);
	if ($chunk === false)
		break;
	$len += strlen($chunk);
	hash_update($ctx, $chunk);
}
$out = array(
	'server' => $_SERVER,
	'body_length' => $len,
	'body_sha256' => hash_final($ctx),
);
header('Content-Type: application/json');
echo json_encode($out, JSON_UNESCAPED_SLASHES | JSON_PARTIAL_OUTPUT_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
